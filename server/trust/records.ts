import { catalog, findCategory } from '../../models/catalog';
import type { Sector } from '../../models/catalog';
import type { CertificationRecord, CertificationState, CoordinatorScope, Evidence } from '../../models/trust.schema';
import type { Viewer } from '../access/policy';
import type { LedgerState } from '../ledger/state';
import { AppError } from '../errors';
import { reliabilityOf } from '../matching/eligibility';

/** A certification record as the ledger keeps it (the logged shape; `state` is derived on reading). */
export interface StoredCertification {
  id: string;
  organizationId: string;
  organizationName: string;
  region: string;
  certification: string;
  certificateNumber: string | null;
  issuer: string | null;
  validFrom: string | null;
  validUntil: string | null;
  evidence: Evidence | null;
  decision: 'claimed' | 'submitted' | 'verified' | 'rejected';
  rejectionReason: string | null;
  history: CertificationRecord['history'];
  /** Set once the expiry sweep has announced that validUntil passed. */
  expiredAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const recordId = (orgId: string, certification: string) => `${orgId}.${certification}`;

/** The state now: the last decision, or expired once validUntil has passed (a rejection stays a rejection). */
export function effectiveState(r: Pick<StoredCertification, 'decision' | 'validUntil'>, now: number): CertificationState {
  if (r.decision !== 'rejected' && r.validUntil && Date.parse(r.validUntil) <= now) return 'expired';
  return r.decision;
}

const sectorsRequiring = new Map<string, Set<Sector>>();
for (const c of catalog.categories) {
  for (const cert of c.certifications) {
    const s = sectorsRequiring.get(cert) ?? new Set();
    s.add(c.sector);
    sectorsRequiring.set(cert, s);
  }
}

/** The sectors a certification of an organization belongs to: those whose categories require it, and those the organization makes. */
export function sectorsOf(state: LedgerState, orgId: string, certification: string): Sector[] {
  const out = new Set<Sector>(sectorsRequiring.get(certification) ?? []);
  for (const id of state.offerIdsOf(orgId)) {
    const o = state.offers.get(id);
    if (!o || o.status !== 'open') continue;
    for (const p of o.products) {
      const c = findCategory(p.category);
      if (c) out.add(c.sector);
    }
  }
  return [...out].sort();
}

/** The certifications an organization only ticked (on itself or an open offer), without a record. */
export function tickedOf(state: LedgerState, orgId: string): string[] {
  const out = new Set<string>(state.orgs.get(orgId)?.certifications ?? []);
  for (const id of state.offerIdsOf(orgId)) {
    const o = state.offers.get(id);
    if (o && o.status !== 'withdrawn') for (const c of o.certifications) out.add(c);
  }
  return [...out];
}

/** A claim made only by ticking a box: a record in state claimed with nothing filled in. */
export function tickedRecord(state: LedgerState, orgId: string, certification: string): StoredCertification {
  const org = state.orgs.get(orgId);
  return {
    id: recordId(orgId, certification),
    organizationId: orgId,
    organizationName: org?.name ?? '',
    region: org?.region ?? '',
    certification,
    certificateNumber: null,
    issuer: null,
    validFrom: null,
    validUntil: null,
    evidence: null,
    decision: 'claimed',
    rejectionReason: null,
    history: [],
    version: -1,
    createdAt: '',
    updatedAt: '',
  };
}

/** The public shape of a record. */
export function toCertificationDto(state: LedgerState, r: StoredCertification, now: number): CertificationRecord {
  const { expiredAt, ...rest } = r;
  void expiredAt;
  return {
    ...rest,
    organizationNameZh: state.orgs.get(r.organizationId)?.nameZh ?? r.organizationName,
    state: effectiveState(r, now),
    source: r.version < 0 ? 'ticked' : 'record',
    sectors: sectorsOf(state, r.organizationId, r.certification),
    version: Math.max(0, r.version),
    createdAt: r.createdAt || null,
    updatedAt: r.updatedAt || null,
  };
}

/** Every certification of an organization: its records and its ticked claims. */
export function certificationsOf(state: LedgerState, orgId: string): StoredCertification[] {
  const out = new Map<string, StoredCertification>();
  for (const c of tickedOf(state, orgId)) out.set(c, tickedRecord(state, orgId, c));
  for (const id of state.certIdsOf(orgId)) {
    const r = state.certs.get(id)!;
    out.set(r.certification, r);
  }
  return [...out.values()].sort((a, b) => a.certification.localeCompare(b.certification));
}

// ---- scopes ----------------------------------------------------------------------------------------------

export const emptyScope = (userId: string): CoordinatorScope => ({ userId, regions: [], sectors: [], updatedBy: null, updatedAt: null });

/**
 * Whether `viewer` may verify (and read the evidence of) a record: admins always; a coordinator when its scope
 * names the organization's region or one of the record's sectors. A coordinator without a scope verifies nothing.
 */
export function inScope(state: LedgerState, viewer: Viewer & { userId: string }, r: Pick<StoredCertification, 'organizationId' | 'region' | 'certification'>): boolean {
  if (viewer.role === 'admin') return true;
  if (viewer.role !== 'coordinator') return false;
  const scope = state.scopes.get(viewer.userId);
  if (!scope) return false;
  if (scope.regions.includes(r.region)) return true;
  if (!scope.sectors.length) return false;
  return sectorsOf(state, r.organizationId, r.certification).some((s) => scope.sectors.includes(s));
}

/** Coordinators (user ids) whose scope covers a record: the audience of its events besides the organization and admins. */
export function coordinatorsInScope(state: LedgerState, r: Pick<StoredCertification, 'organizationId' | 'region' | 'certification'>): string[] {
  const out: string[] = [];
  for (const s of state.scopes.values()) if (inScope(state, { role: 'coordinator', organizationId: null, userId: s.userId }, r)) out.push(s.userId);
  return out;
}

// ---- limits and reliability ---------------------------------------------------------------------------------

/** Whether an organization has a verified certification valid now. */
export function hasVerified(state: LedgerState, orgId: string, now: number): boolean {
  for (const id of state.certIdsIn(orgId)) {
    const r = state.certs.get(id)!;
    if (r.decision === 'verified' && !(r.validUntil && validUntilMs(r) <= now)) return true;
  }
  return false;
}

/** A record's `validUntil` as a time, read once per record (records are replaced on change, never edited). */
const validUntilOf = new WeakMap<Pick<StoredCertification, 'validUntil'>, number>();
function validUntilMs(r: Pick<StoredCertification, 'validUntil'>): number {
  let t = validUntilOf.get(r);
  if (t === undefined) validUntilOf.set(r, (t = r.validUntil ? Date.parse(r.validUntil) : Infinity));
  return t;
}

/** Limits apply until an organization has one verified certification or one delivered match. */
export function isLimited(state: LedgerState, orgId: string, now: number): boolean {
  const org = state.orgs.get(orgId);
  if (org && org.stats.delivered > 0) return false;
  return !hasVerified(state, orgId, now);
}

/** Units of a critical demand an organization may still hold (proposed or confirmed) while limited; Infinity otherwise. */
export function shareCapLeft(state: LedgerState, orgId: string, demand: { id: string; priority: string; quantity: number }, now: number): number {
  if (demand.priority !== 'critical' || !isLimited(state, orgId, now)) return Infinity;
  const cap = Math.floor(demand.quantity * state.trustLimits.maxShareOfCritical);
  let held = 0;
  for (const id of state.matchIdsFor(demand.id)) {
    const m = state.matches.get(id);
    if (m && m.supplierOrgId === orgId && ['proposed', 'accepted_by_buyer', 'accepted_by_supplier', 'confirmed', 'in_production', 'shipped', 'delivered'].includes(m.status)) held += m.units;
  }
  return Math.max(0, cap - held);
}

/** Open offers of an organization. */
export function openOffersOf(state: LedgerState, orgId: string): number {
  return state.offerIdsOf(orgId).filter((id) => state.offers.get(id)?.status === 'open').length;
}

/** @throws AppError unverified_limit (403) when a limited organization already keeps its allowed open offers */
export function assertOfferLimit(state: LedgerState, orgId: string, now: number) {
  const max = state.trustLimits.maxOpenOffers;
  if (!isLimited(state, orgId, now)) return;
  const open = openOffersOf(state, orgId);
  if (open >= max) {
    throw new AppError(
      'unverified_limit',
      `Your organization already has ${open} open offers, the most an organization without a verified certification or a delivered match may keep (${max}). Upload evidence for one of your certifications and have a coordinator verify it (or deliver one match) to lift this limit, or withdraw an offer.`,
      403,
      { limit: 'open_offers', max, open },
    );
  }
}

export const RELIABILITY_FORMULA = '(deliveredOnTime + 0.5 × late + 1) / (delivered + cancelled + lapsed + 2)';

/** A supplier's record and reliability, as profiles show them. */
export function recordOf(state: LedgerState, orgId: string) {
  const st = state.orgs.get(orgId)?.stats ?? { confirmed: 0, delivered: 0, cancelled: 0, lapsed: 0 };
  const late = st.late ?? 0;
  const record = {
    answered: st.answered ?? 0,
    confirmed: st.confirmed,
    delivered: st.delivered,
    deliveredOnTime: Math.max(0, st.delivered - late),
    late,
    cancelled: st.cancelled,
    lapsed: st.lapsed ?? 0,
  };
  const good = record.deliveredOnTime + 0.5 * late;
  const settled = record.delivered + record.cancelled + record.lapsed;
  return { record, reliability: { score: Math.round(reliabilityOf(st) * 1e4) / 1e4, formula: RELIABILITY_FORMULA, good, settled } };
}
