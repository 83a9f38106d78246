import mongoose from 'mongoose';
import { buildScenario, scenarioSummary } from './scenario';
import { findCategory } from '../../models/catalog';
import { priorityWeight } from '../../models/common.schema';
import { OrganizationModel } from '../../models/organization.model';
import type { AuthService } from '../auth/auth.service';
import { clearDatabase } from '../db/database';
import type { Ledger } from '../ledger/ledger';
import type { Match, MatchPatch } from '../../models/match.schema';
import type { AuthContext } from '../auth/auth.service';
import { emitDemand, emitOffer, matchDemand, MatchingService } from '../matching/matching.service';
import { newDemand, newOffer } from '../postings/postings.service';
import { storeEvidence } from '../trust/evidence';
import { recordStep } from '../trust/trust.service';
import { buildDemoCertifications, demoCertificatePdf } from './certifications';

export const DEMO_PASSWORD = 'fuchan-demo';

export interface DemoLogin {
  role: 'supplier' | 'buyer' | 'coordinator' | 'admin';
  email: string;
  password: string;
  organization: string;
}

export interface DemoSummary {
  organizations: number;
  offers: number;
  demands: number;
  proposals: number;
  /** Matches taken through their lifecycle, by the status they reached. */
  lifecycle: Record<string, number>;
  logins: DemoLogin[];
}

type Stage = 'accepted' | 'confirmed' | MatchPatch['status'];

/**
 * Takes one proposal through the real lifecycle commands (both parties accept, then the supplier starts and
 * ships, the buyer receives) up to `stage`; false when a step is refused (e.g. the line is full by then).
 */
async function advance(matching: MatchingService, m: Match, stage: Stage, actors: { buyer: AuthContext; supplier: AuthContext }): Promise<boolean> {
  try {
    await matching.accept(m.id, actors.supplier);
    if (stage === 'accepted') return true;
    await matching.accept(m.id, actors.buyer);
    if (stage === 'confirmed') return true;
    await matching.transition(m.id, actors.supplier, { status: 'in_production' });
    if (stage === 'in_production') return true;
    await matching.transition(m.id, actors.supplier, { status: 'shipped' });
    if (stage === 'shipped') return true;
    await matching.transition(m.id, actors.buyer, { status: 'delivered' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces the database's content with the demo scenario (deterministic from `seed`), creates one login
 * per role, and proposes matches for every demand, most urgent first.
 */
export async function loadDemo(deps: { auth: AuthService; ledger: Ledger }, opts: { seed: number; now?: Date }): Promise<DemoSummary> {
  const now = opts.now ?? new Date();
  await clearDatabase();
  await deps.auth.init();
  const scenario = buildScenario({ seed: opts.seed, now });
  const orgIds = new Map<string, mongoose.Types.ObjectId>();
  const orgDocs = scenario.organizations.map((o) => {
    const _id = new mongoose.Types.ObjectId();
    orgIds.set(o.key, _id);
    return { _id, name: o.name, nameZh: o.nameZh, kind: o.role, region: o.region, location: o.location, certifications: o.certifications, verified: o.verified, demoKey: o.key };
  });
  const coordinatorOrg = {
    _id: new mongoose.Types.ObjectId(),
    name: 'Hubei Provincial Department of Economy and Information Technology',
    nameZh: '湖北省经济和信息化厅',
    kind: 'coordinator',
    region: 'Hubei',
    location: { lat: 30.5454, lng: 114.3423 },
    certifications: [],
    verified: true,
    demoKey: 'coordinator',
  };
  await OrganizationModel.insertMany([...orgDocs, coordinatorOrg]);
  const byKey = new Map(scenario.organizations.map((o) => [o.key, o]));
  for (const o of [...orgDocs, coordinatorOrg]) deps.ledger.rememberOrg(o);
  // the postings go through the ledger like any others: one command posts them, one proposes, most urgent first
  const demandIds = await deps.ledger.submit((tx) => {
    for (const o of scenario.offers) {
      const org = deps.ledger.state.orgs.get(String(orgIds.get(o.orgKey)))!;
      emitOffer(tx, newOffer(tx, org, { ...o, certifications: o.certifications }));
    }
    const ids: string[] = [];
    for (const d of scenario.demands) {
      const org = deps.ledger.state.orgs.get(String(orgIds.get(d.orgKey)))!;
      const demand = newDemand(tx, org, { ...d, requiredCertifications: d.requiredCertifications, maxPricePerUnit: d.maxPricePerUnit ?? undefined });
      emitDemand(tx, demand);
      ids.push(demand.id);
    }
    return ids;
  });
  // demo accounts with something to do: a medical supplier making a product in short supply with the certifications
  // its buyers require (so it gets proposals), and a buyer with a critical medical demand where supply is ample
  const medical = (category: string) => findCategory(category)?.sector === 'medical';
  const balance = new Map(scenarioSummary(scenario).map((c) => [c.category, c.status]));
  const holds = (orgKey: string, category: string) => (findCategory(category)?.certifications ?? []).every((c) => byKey.get(orgKey)!.certifications.includes(c));
  // of the medical suppliers holding their products' certifications, the one with the most lines on offer
  const lines = new Map<string, number>();
  for (const o of scenario.offers) {
    for (const p of o.products) {
      if (medical(p.category) && holds(o.orgKey, p.category)) lines.set(o.orgKey, (lines.get(o.orgKey) ?? 0) + 1 + (balance.get(p.category) === 'short' ? 0.5 : 0));
    }
  }
  const supplierKey = [...lines].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? scenario.offers[0].orgKey;
  const buyerKey = (
    scenario.demands.find((d) => d.priority === 'critical' && medical(d.category) && balance.get(d.category) !== 'short' && d.requiredCertifications.length <= 1) ??
    scenario.demands.find((d) => d.priority === 'critical' && medical(d.category)) ??
    scenario.demands[0]
  ).orgKey;

  // certifications (server/trust): mostly verified, some waiting in the coordinator's queue, rejected, expired, claimed
  const certs = buildDemoCertifications(scenario, { seed: opts.seed, now, allVerified: new Set([supplierKey]) });
  const evidence = new Map<number, Awaited<ReturnType<typeof storeEvidence>>>();
  for (const [i, c] of certs.entries()) {
    if (!c.evidence) continue;
    const org = byKey.get(c.orgKey)!;
    evidence.set(i, await storeEvidence(demoCertificatePdf(c, org.name), `${c.certification}-certificate.pdf`, String(orgIds.get(c.orgKey)), c.certification, now));
  }
  await deps.ledger.submit((tx) => {
    for (const [i, c] of certs.entries()) {
      const org = deps.ledger.state.orgs.get(String(orgIds.get(c.orgKey)))!;
      const details = { certificateNumber: c.certificateNumber, issuer: c.issuer, validFrom: c.validFrom, validUntil: c.validUntil, evidence: evidence.get(i) ?? null };
      if (c.decision === 'submitted' || c.decision === 'rejected') recordStep(tx, org, c.certification, { ...details, decision: 'submitted', actor: { userId: null, role: 'supplier' }, note: 'evidence uploaded' });
      if (c.decision !== 'submitted') {
        recordStep(tx, org, c.certification, { ...details, decision: c.decision, rejectionReason: c.rejectionReason, note: c.decision === 'verified' ? 'checked against the issuing body’s register (demo import)' : undefined });
      }
    }
  });

  const proposals = await deps.ledger.submit((tx) => {
    const order = demandIds
      .map((id) => tx.state.demands.get(id)!)
      .sort((a, b) => priorityWeight[b.priority] - priorityWeight[a.priority] || a.deadline.localeCompare(b.deadline));
    let made = 0;
    for (const d of order) made += matchDemand(tx, d.id);
    return made;
  });

  const state = deps.ledger.state;
  const keyOf = new Map([...orgIds].map(([k, id]) => [String(id), k]));
  const proposedTo = (orgId: string, side: 'supplier' | 'buyer') =>
    [...state.pendingMatches()].filter((m) => (side === 'supplier' ? m.supplierOrgId : m.buyerOrgId) === orgId && m.status === 'proposed');
  const logins: DemoLogin[] = [
    { role: 'coordinator', email: 'coordinator@demo.fuchan.cn', password: DEMO_PASSWORD, organization: coordinatorOrg.name },
    { role: 'supplier', email: 'supplier@demo.fuchan.cn', password: DEMO_PASSWORD, organization: byKey.get(supplierKey)!.name },
    { role: 'buyer', email: 'buyer@demo.fuchan.cn', password: DEMO_PASSWORD, organization: byKey.get(buyerKey)!.name },
    { role: 'admin', email: 'admin@demo.fuchan.cn', password: DEMO_PASSWORD, organization: coordinatorOrg.name },
  ];
  const orgFor = { coordinator: coordinatorOrg._id, admin: coordinatorOrg._id, supplier: orgIds.get(supplierKey)!, buyer: orgIds.get(buyerKey)! };
  const users = new Map<string, string>();
  const userOf = new Map<string, string>();
  for (const l of logins) {
    const u = await deps.auth.createUser({ email: l.email, password: l.password, name: `Demo ${l.role}`, role: l.role, organizationId: String(orgFor[l.role]) });
    users.set(l.role, u.id);
    if (l.role === 'supplier' || l.role === 'buyer') userOf.set(String(orgFor[l.role]), u.id);
  }
  // the demo coordinator verifies for Hubei and for the medical sector: its queue holds the submitted ones there
  await deps.ledger.submit((tx) => {
    const scope = { userId: users.get('coordinator')!, regions: ['Hubei'], sectors: ['medical'], updatedBy: users.get('admin') ?? null, updatedAt: now.toISOString() };
    tx.emit('coordinator:scoped', { scope }, { orgIds: [], region: null, categories: [] });
  });

  // a living history: proposals of the demo accounts and of others taken through the real lifecycle commands,
  // at the ledger's clock, so every workspace and the board show confirmed, in production, shipped, delivered
  const matching = new MatchingService(deps.ledger);
  const actor = (orgId: string, role: 'buyer' | 'supplier'): AuthContext => ({ userId: userOf.get(orgId) ?? `demo-${keyOf.get(orgId) ?? orgId}`, role, organizationId: orgId });
  const lifecycle: Record<string, number> = {};
  const used = new Set<string>();
  const run = async (candidates: () => Match[], stages: Stage[]) => {
    for (const stage of stages) {
      for (const m of candidates()) {
        if (used.has(m.demandId) || state.matches.get(m.id)?.status !== 'proposed') continue;
        used.add(m.demandId);
        if (await advance(matching, m, stage, { buyer: actor(m.buyerOrgId, 'buyer'), supplier: actor(m.supplierOrgId, 'supplier') })) {
          const reached = state.matches.get(m.id)!.status;
          lifecycle[reached] = (lifecycle[reached] ?? 0) + 1;
          break;
        }
      }
    }
  };
  const byScore = (ms: Match[]) => ms.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  const supplierOrg = String(orgFor.supplier);
  const buyerOrg = String(orgFor.buyer);
  // the demo supplier: one match at each stage, and proposals left to answer
  await run(() => byScore(proposedTo(supplierOrg, 'supplier')).slice(0, -1), ['delivered', 'shipped', 'in_production', 'confirmed', 'accepted']);
  // the demo buyer: a delivery received, one confirmed, and proposals left to answer
  await run(() => byScore(proposedTo(buyerOrg, 'buyer')).slice(0, -1), ['delivered', 'confirmed']);
  // elsewhere on the board: a few of each
  const others = () => byScore([...state.pendingMatches()].filter((m) => m.status === 'proposed' && m.supplierOrgId !== supplierOrg && m.buyerOrgId !== buyerOrg));
  await run(others, ['delivered', 'delivered', 'delivered', 'shipped', 'shipped', 'in_production', 'in_production', 'in_production', 'confirmed', 'confirmed', 'confirmed', 'confirmed']);

  return { organizations: orgDocs.length + 1, offers: scenario.offers.length, demands: scenario.demands.length, proposals, lifecycle, logins };
}
