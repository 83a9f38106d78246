import mongoose from 'mongoose';
import { findCategory } from '../../models/catalog';
import { UserModel } from '../../models/user.model';
import type {
  CertificationDetails,
  CertificationRecord,
  CoordinatorScope,
  CoordinatorScopeInput,
  Evidence,
  SupplierProfile,
} from '../../models/trust.schema';
import { isStaff } from '../access/policy';
import type { AuthContext, AuthService } from '../auth/auth.service';
import { AppError } from '../errors';
import type { Ledger, Tx } from '../ledger/ledger';
import { close, matchDemand, matchOffer } from '../matching/matching.service';
import { deleteEvidence, findEvidence, openEvidence, storeEvidence } from './evidence';
import {
  certificationsOf,
  coordinatorsInScope,
  effectiveState,
  emptyScope,
  inScope,
  isLimited,
  openOffersOf,
  recordId,
  recordOf,
  tickedRecord,
  toCertificationDto,
  type StoredCertification,
} from './records';

type Actor = { userId: string | null; role: string };
const SYSTEM: Actor = { userId: null, role: 'system' };

/** Logs a record's new state: to its organization, in-scope coordinators and admins (server/realtime). */
function emitCert(tx: Tx, r: StoredCertification) {
  const dto = toCertificationDto(tx.state, r, tx.now);
  tx.emit('certification:updated', { certification: { ...r, organizationNameZh: dto.organizationNameZh, state: dto.state, sectors: dto.sectors, source: dto.source } }, { orgIds: [r.organizationId], region: r.region, categories: [] });
}

function step(tx: Tx, r: StoredCertification, changes: Partial<StoredCertification>, state: StoredCertification['decision'] | 'expired', actor: Actor, note?: string): StoredCertification {
  const at = new Date(tx.now).toISOString();
  const next: StoredCertification = {
    ...r,
    ...changes,
    history: [...r.history, { state, actorId: actor.userId, actorRole: actor.role, at, ...(note ? { note } : {}) }],
    version: Math.max(0, r.version + 1),
    createdAt: r.createdAt || at,
    updatedAt: at,
  };
  emitCert(tx, next);
  return next;
}

/**
 * Unaccepted proposals of an organization's offers for demands that require `certification` and are due after
 * `validTo` (all of them when null) are withdrawn; returns the demands to match again.
 */
function withdrawNeeding(tx: Tx, orgId: string, certification: string, note: string, validTo: number | null): Set<string> {
  const demands = new Set<string>();
  for (const offerId of tx.state.offerIdsOf(orgId)) {
    for (const m of tx.state.pendingForOffer(offerId)) {
      if (m.status !== 'proposed') continue;
      const d = tx.state.demands.get(m.demandId);
      const cat = d ? findCategory(d.category) : undefined;
      if (!d || !(cat?.certifications.includes(certification) || d.requiredCertifications.includes(certification))) continue;
      if (validTo !== null && m.dueAt && Date.parse(m.dueAt) <= validTo) continue;
      close(tx, m, 'withdrawn', note);
      demands.add(m.demandId);
    }
  }
  return demands;
}

/** Matches the organization's open offers again (a certification now counts). */
function replanOrg(tx: Tx, orgId: string) {
  for (const id of tx.state.offerIdsOf(orgId)) if (tx.state.offers.get(id)?.status === 'open') matchOffer(tx, id);
}

export interface RecordOptions {
  decision: StoredCertification['decision'];
  certificateNumber: string;
  issuer: string;
  validFrom: string;
  validUntil: string;
  evidence?: Evidence | null;
  rejectionReason?: string;
  actor?: Actor;
  note?: string;
}

/** A command step recording a certification with its decision (`TrustService.record`, the demo). */
export function recordStep(tx: Tx, org: { id: string; name: string; region: string }, certification: string, opts: RecordOptions): StoredCertification {
  const prev = tx.state.certs.get(recordId(org.id, certification)) ?? tickedRecord(tx.state, org.id, certification);
  return step(
    tx,
    { ...prev, organizationName: org.name, region: org.region },
    {
      certificateNumber: opts.certificateNumber,
      issuer: opts.issuer,
      validFrom: new Date(opts.validFrom).toISOString(),
      validUntil: new Date(opts.validUntil).toISOString(),
      evidence: opts.evidence ?? prev.evidence,
      decision: opts.decision,
      rejectionReason: opts.decision === 'rejected' ? (opts.rejectionReason ?? 'rejected') : null,
    },
    opts.decision,
    opts.actor ?? SYSTEM,
    opts.note ?? (opts.decision === 'rejected' ? opts.rejectionReason : undefined),
  );
}

/**
 * Certifications as records with evidence, their verification by coordinators within their scope, coordinator
 * scopes, supplier profiles and the limits for unverified organizations. Every change is a ledger command.
 */
export class TrustService {
  constructor(
    private readonly ledger: Ledger,
    private readonly auth?: AuthService,
  ) {}

  private get state() {
    return this.ledger.state;
  }

  private now() {
    return this.ledger.now();
  }

  private dto(r: StoredCertification): CertificationRecord {
    return toCertificationDto(this.state, r, this.now());
  }

  private async ownOrg(auth: AuthContext) {
    if (!auth.organizationId) throw AppError.forbidden('Your account has no organization');
    return this.ledger.ensureOrg(auth.organizationId);
  }

  /** A record as stored, or the claim a ticked box makes; null when the organization never claimed it. */
  private find(id: string): StoredCertification | null {
    const stored = this.state.certs.get(id);
    if (stored) return stored;
    const [orgId, cert] = id.split('.');
    return certificationsOf(this.state, orgId).find((r) => r.certification === cert) ?? null;
  }

  // ---- reads -----------------------------------------------------------------------------------------

  /** An organization's certifications: its own (members); staff name any organization and see its records within their scope (admins: all). */
  async list(auth: AuthContext, organizationId?: string): Promise<{ items: CertificationRecord[] }> {
    let orgId = auth.organizationId;
    if (organizationId && organizationId !== auth.organizationId) {
      if (!isStaff(auth)) throw AppError.notFound('Organization');
      orgId = organizationId;
    }
    if (!orgId) return { items: [] };
    await this.ledger.ensureOrg(orgId).catch(() => undefined);
    // staff see another organization's records within their scope, as they may open each (GET /certifications/:id)
    const mine = orgId === auth.organizationId;
    return { items: certificationsOf(this.state, orgId).filter((r) => mine || inScope(this.state, auth, r)).map((r) => this.dto(r)) };
  }

  /** One record: its organization, coordinators in scope and admins; others get 404. */
  get(auth: AuthContext, id: string): CertificationRecord {
    const r = this.find(id);
    if (!r || !(auth.organizationId === r.organizationId || inScope(this.state, auth, r))) throw AppError.notFound('Certification');
    return this.dto(r);
  }

  /** The verification queue: records in `state` (submitted by default) within the caller's scope, oldest first. */
  queue(auth: AuthContext, state: CertificationRecord['state'], limit: number): { items: CertificationRecord[]; total: number; scope: CoordinatorScope } {
    const now = this.now();
    const hits: StoredCertification[] = [];
    for (const r of this.state.certs.values()) if (effectiveState(r, now) === state && inScope(this.state, auth, r)) hits.push(r);
    hits.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt) || a.id.localeCompare(b.id));
    return { items: hits.slice(0, limit).map((r) => this.dto(r)), total: hits.length, scope: this.scopeOf(auth.userId) };
  }

  scopeOf(userId: string): CoordinatorScope {
    return this.state.scopes.get(userId) ?? emptyScope(userId);
  }

  // ---- the organization's commands ---------------------------------------------------------------------

  /**
   * Sets a certificate's number, issuer and validity. A verified or submitted record whose details change goes
   * back to submitted (with evidence) or claimed: a coordinator verified the old details, not these.
   */
  async putDetails(auth: AuthContext, certification: string, details: CertificationDetails): Promise<CertificationRecord> {
    const org = await this.ownOrg(auth);
    const norm = {
      certificateNumber: details.certificateNumber,
      issuer: details.issuer,
      validFrom: new Date(details.validFrom).toISOString(),
      validUntil: new Date(details.validUntil).toISOString(),
    };
    return this.ledger.submit((tx) => {
      const id = recordId(org.id, certification);
      const prev = tx.state.certs.get(id) ?? tickedRecord(tx.state, org.id, certification);
      const same = prev.certificateNumber === norm.certificateNumber && prev.issuer === norm.issuer && prev.validFrom === norm.validFrom && prev.validUntil === norm.validUntil;
      if (same && prev.version >= 0) return this.dto(prev);
      const decision = prev.evidence && prev.decision !== 'rejected' ? 'submitted' : 'claimed';
      const next = step(tx, { ...prev, organizationName: org.name, region: org.region }, { ...norm, decision, rejectionReason: null, expiredAt: undefined }, decision, { userId: auth.userId, role: auth.role }, 'details changed');
      if (prev.decision === 'verified') for (const d of withdrawNeeding(tx, org.id, certification, `${certification} needs verifying again: its details changed`, null)) matchDemand(tx, d);
      return toCertificationDto(tx.state, next, tx.now);
    });
  }

  /**
   * Stores an evidence file (type checked by content) and submits the record for verification. The details must
   * be complete, given before or with the file. A refused command removes the stored file again.
   */
  async submitEvidence(auth: AuthContext, certification: string, file: { buffer: Buffer; originalname: string }, fields: Partial<CertificationDetails>): Promise<CertificationRecord> {
    const org = await this.ownOrg(auth);
    const evidence: Evidence = await storeEvidence(file.buffer, file.originalname, org.id, certification, new Date(this.now()));
    try {
      return await this.ledger.submit((tx) => {
        const id = recordId(org.id, certification);
        const prev = tx.state.certs.get(id) ?? tickedRecord(tx.state, org.id, certification);
        const merged = {
          certificateNumber: fields.certificateNumber ?? prev.certificateNumber,
          issuer: fields.issuer ?? prev.issuer,
          validFrom: fields.validFrom ? new Date(fields.validFrom).toISOString() : prev.validFrom,
          validUntil: fields.validUntil ? new Date(fields.validUntil).toISOString() : prev.validUntil,
        };
        const missing = (Object.keys(merged) as (keyof typeof merged)[]).filter((k) => !merged[k]);
        if (missing.length) {
          throw new AppError('validation_failed', `Give the certificate's ${missing.join(', ')} with the file or first by PUT /api/certifications/mine/${certification}`, 400, missing.map((path) => ({ path, message: 'required before the evidence can be submitted' })));
        }
        if (Date.parse(merged.validUntil!) <= Date.parse(merged.validFrom!)) throw new AppError('validation_failed', 'validUntil must be after validFrom', 400, [{ path: 'validUntil', message: 'must be after validFrom' }]);
        if (Date.parse(merged.validUntil!) <= tx.now) throw new AppError('validation_failed', 'This certificate has already expired; upload a current one', 400, [{ path: 'validUntil', message: 'already passed' }]);
        const wasVerified = prev.decision === 'verified';
        const next = step(tx, { ...prev, organizationName: org.name, region: org.region }, { ...merged, evidence, decision: 'submitted', rejectionReason: null, expiredAt: undefined }, 'submitted', { userId: auth.userId, role: auth.role }, `evidence ${evidence.filename}`);
        if (wasVerified) for (const d of withdrawNeeding(tx, org.id, certification, `${certification} needs verifying again: new evidence`, null)) matchDemand(tx, d);
        return toCertificationDto(tx.state, next, tx.now);
      });
    } catch (err) {
      await deleteEvidence(evidence.fileId);
      throw err;
    }
  }

  /**
   * Records a certification with its decision in one command, as an import from another register would (the
   * demo, operators, tests): logged like any decision, with `actor`. A verified one re-plans the organization's offers.
   */
  async record(orgId: string, certification: string, opts: RecordOptions): Promise<CertificationRecord> {
    const org = await this.ledger.ensureOrg(orgId);
    return this.ledger.submit((tx) => {
      const next = recordStep(tx, org, certification, opts);
      if (opts.decision === 'verified') replanOrg(tx, org.id);
      return toCertificationDto(tx.state, next, tx.now);
    });
  }

  // ---- coordinators' decisions --------------------------------------------------------------------------

  private decidable(tx: Tx, auth: AuthContext, id: string): StoredCertification {
    const r = tx.state.certs.get(id) ?? this.find(id);
    if (!r) throw AppError.notFound('Certification');
    if (!inScope(tx.state, auth, r)) {
      const scope = this.scopeOf(auth.userId);
      throw AppError.forbidden(
        scope.regions.length || scope.sectors.length
          ? `This certification (${r.region}, ${toCertificationDto(tx.state, r, tx.now).sectors.join(', ') || 'no sector'}) is outside your scope (${[...scope.regions, ...scope.sectors].join(', ')})`
          : 'You have no verification scope yet; an admin assigns coordinators a region or a sector',
      );
    }
    return r;
  }

  /** Verifies a submitted record; the organization's offers are matched again at once. */
  verify(auth: AuthContext, id: string, note?: string): Promise<CertificationRecord> {
    return this.ledger.submit((tx) => {
      const r = this.decidable(tx, auth, id);
      const state = effectiveState(r, tx.now);
      if (state === 'verified') return toCertificationDto(tx.state, r, tx.now);
      if (state !== 'submitted') throw AppError.conflict(state === 'expired' ? 'The certificate has expired; the organization must submit a current one' : `Only a submitted certification can be verified; this one is ${state}`);
      const next = step(tx, r, { decision: 'verified', rejectionReason: null }, 'verified', { userId: auth.userId, role: auth.role }, note);
      replanOrg(tx, r.organizationId);
      return toCertificationDto(tx.state, next, tx.now);
    });
  }

  /** Rejects a submitted (or verified) record with a reason; proposals that relied on it are withdrawn. */
  reject(auth: AuthContext, id: string, reason: string): Promise<CertificationRecord> {
    return this.ledger.submit((tx) => {
      const r = this.decidable(tx, auth, id);
      const state = effectiveState(r, tx.now);
      if (state === 'rejected' && r.rejectionReason === reason) return toCertificationDto(tx.state, r, tx.now);
      if (state !== 'submitted' && state !== 'verified') throw AppError.conflict(`Only a submitted or verified certification can be rejected; this one is ${state}`);
      const next = step(tx, r, { decision: 'rejected', rejectionReason: reason }, 'rejected', { userId: auth.userId, role: auth.role }, reason);
      for (const d of withdrawNeeding(tx, r.organizationId, r.certification, `${r.certification} was rejected: ${reason}`, null)) matchDemand(tx, d);
      return toCertificationDto(tx.state, next, tx.now);
    });
  }

  /**
   * Announces verified certifications whose validUntil has passed (once each), and withdraws the unaccepted
   * proposals that relied on them for units due after it. Run by the sweeper; the tests call it with their clock.
   */
  expireStale(): Promise<number> {
    return this.ledger.submit((tx) => {
      let n = 0;
      for (const r of [...tx.state.certs.values()]) {
        if (r.expiredAt || r.decision === 'rejected' || !r.validUntil || Date.parse(r.validUntil) > tx.now) continue;
        step(tx, r, { expiredAt: new Date(tx.now).toISOString() }, 'expired', SYSTEM, `valid until ${r.validUntil.slice(0, 10)}`);
        for (const d of withdrawNeeding(tx, r.organizationId, r.certification, `${r.certification} expired on ${r.validUntil.slice(0, 10)}`, Date.parse(r.validUntil))) matchDemand(tx, d);
        n++;
      }
      return n;
    });
  }

  // ---- evidence ---------------------------------------------------------------------------------------------

  /** An evidence file for its organization, coordinators in scope and admins; 404 for anyone else. */
  async evidence(auth: AuthContext, fileId: string) {
    const f = await findEvidence(fileId);
    if (!f) throw AppError.notFound('Evidence');
    const r = { organizationId: f.organizationId, certification: f.certification, region: this.state.orgs.get(f.organizationId)?.region ?? this.state.certs.get(recordId(f.organizationId, f.certification))?.region ?? '' };
    if (!(auth.organizationId === f.organizationId || inScope(this.state, auth, r))) throw AppError.notFound('Evidence');
    return { file: f, stream: openEvidence(fileId) };
  }

  // ---- scopes -----------------------------------------------------------------------------------------------

  /** Sets a coordinator's verification scope (admins). @throws AppError not_found when the user is not a coordinator */
  async setScope(auth: AuthContext, userId: string, input: CoordinatorScopeInput): Promise<CoordinatorScope> {
    if (!mongoose.isValidObjectId(userId)) throw AppError.notFound('Coordinator');
    const user = await UserModel.findById(userId).lean();
    if (!user || user.role !== 'coordinator') throw AppError.notFound('Coordinator');
    return this.ledger.submit((tx) => {
      const scope: CoordinatorScope = { userId, regions: [...new Set(input.regions)].sort(), sectors: [...new Set(input.sectors)].sort(), updatedBy: auth.userId, updatedAt: new Date(tx.now).toISOString() };
      tx.emit('coordinator:scoped', { scope }, { orgIds: [], region: null, categories: [] });
      return scope;
    });
  }

  /** Every coordinator and admin account with its scope (admins). */
  async coordinators() {
    const users = await UserModel.find({ role: { $in: ['coordinator', 'admin'] } }).sort({ email: 1 }).limit(1000).lean();
    return {
      items: users.map((u) => ({ id: String(u._id), email: u.email, name: u.name, role: u.role as 'coordinator' | 'admin', scope: this.scopeOf(String(u._id)) })),
    };
  }

  /** Creates a coordinator account with a scope (admins). */
  async createCoordinator(auth: AuthContext, input: { email: string; password: string; name: string } & CoordinatorScopeInput) {
    if (!this.auth) throw new AppError('internal', 'Accounts are not available here', 500);
    const user = await this.auth.createUser({ email: input.email, password: input.password, name: input.name, role: 'coordinator', organizationId: null });
    const scope = await this.setScope(auth, user.id, input);
    return { id: user.id, email: user.email, name: user.name, role: 'coordinator' as const, scope };
  }

  // ---- profiles and limits -----------------------------------------------------------------------------------

  /**
   * A supplier's profile: the organization, its verified certifications valid now, its open lines and where
   * they are, its record and reliability. For the supplier itself, staff, and buyers it has a match with.
   */
  async profile(auth: AuthContext, orgId: string): Promise<SupplierProfile> {
    const org = await this.ledger.ensureOrg(orgId).catch(() => null);
    if (!org || org.kind !== 'supplier' || !this.canSeeProfile(auth, orgId)) throw AppError.notFound('Supplier');
    const now = this.now();
    const certifications = this.state
      .certIdsOf(orgId)
      .map((id) => this.state.certs.get(id)!)
      .filter((r) => effectiveState(r, now) === 'verified')
      .sort((a, b) => a.certification.localeCompare(b.certification))
      .map((r) => ({
        certification: r.certification,
        certificateNumber: r.certificateNumber,
        issuer: r.issuer,
        validFrom: r.validFrom,
        validUntil: r.validUntil,
        verifiedAt: [...r.history].reverse().find((h) => h.state === 'verified')?.at ?? null,
      }));
    const lines: SupplierProfile['lines'] = [];
    const locations = new Map<string, { lat: number; lng: number }>();
    for (const id of this.state.offerIdsOf(orgId)) {
      const o = this.state.offers.get(id);
      if (!o || o.status !== 'open') continue;
      for (const p of o.products) lines.push({ offerId: o.id, category: p.category, unitsPerDay: p.unitsPerDay, availableFrom: o.availableFrom, availableTo: o.availableTo });
      locations.set(`${o.location.lat},${o.location.lng}`, o.location);
    }
    const { record, reliability } = recordOf(this.state, orgId);
    return {
      organization: { id: org.id, name: org.name, nameZh: org.nameZh ?? org.name, region: org.region, location: org.location },
      certifications,
      lines,
      locations: [...locations.values()],
      record,
      reliability,
      limited: isLimited(this.state, orgId, now),
    };
  }

  private canSeeProfile(auth: AuthContext, orgId: string): boolean {
    if (isStaff(auth) || auth.organizationId === orgId) return true;
    if (!auth.organizationId) return false;
    for (const d of this.state.demandIdsOf(auth.organizationId)) {
      for (const m of this.state.matchIdsFor(d)) if (this.state.matches.get(m)?.supplierOrgId === orgId) return true;
    }
    return false;
  }

  /** Whether the caller's organization is limited, and how far. */
  async status(auth: AuthContext) {
    const org = await this.ownOrg(auth);
    // the limits are on suppliers' offers and shares; buyers are not limited
    const limited = org.kind === 'supplier' && isLimited(this.state, org.id, this.now());
    const { maxOpenOffers, maxShareOfCritical } = this.state.trustLimits;
    return {
      limited,
      reason: org.kind !== 'supplier'
        ? 'No limits: the limits for the unverified apply to suppliers only.'
        : limited
        ? `Until a coordinator verifies one of your certifications (upload its evidence) or you deliver one match, you can keep ${maxOpenOffers} open offers and be proposed at most ${Math.round(maxShareOfCritical * 100)}% of any critical demand.`
        : 'No limits: your organization has a verified certification or a delivered match.',
      maxOpenOffers,
      openOffers: openOffersOf(this.state, org.id),
      maxShareOfCriticalDemand: maxShareOfCritical,
    };
  }

  /** The realtime audience of a certification event besides the organization: coordinators in scope. */
  audienceOf(r: Pick<StoredCertification, 'organizationId' | 'region' | 'certification'>): string[] {
    return coordinatorsInScope(this.state, r);
  }

  /** Whether a staff viewer may see a trust event (resync). */
  canSeeTrustEvent(viewer: { userId: string; role: string; organizationId: string | null }, type: string, data: Record<string, unknown>): boolean {
    if (viewer.role === 'admin') return true;
    if (type === 'coordinator:scoped') return (data.scope as CoordinatorScope | undefined)?.userId === viewer.userId;
    const r = data.certification as StoredCertification | undefined;
    if (!r) return false;
    if (viewer.organizationId === r.organizationId) return true;
    return inScope(this.state, viewer as AuthContext, r);
  }
}

