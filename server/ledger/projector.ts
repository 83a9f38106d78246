import mongoose from 'mongoose';
import type { Demand } from '../../models/demand.schema';
import { DemandModel, type DemandDoc } from '../../models/demand.model';
import { IdempotencyModel } from '../../models/event.model';
import type { Match } from '../../models/match.schema';
import { MatchModel, type MatchDoc } from '../../models/match.model';
import type { Offer } from '../../models/offer.schema';
import { OfferModel, type OfferDoc } from '../../models/offer.model';
import { OrganizationModel } from '../../models/organization.model';
import { SettingModel } from '../../models/setting.model';
import { CertificationModel, CoordinatorScopeModel } from '../../models/certification.model';
import type { CoordinatorScope } from '../../models/trust.schema';
import type { StoredCertification } from '../trust/records';
import { demandDocOf, matchDocOf, offerDocOf, oid, toDemandDto, toMatchDto, toOfferDto } from './documents';
import type { Ledger } from './ledger';
import type { IdemRecord, LedgerEvent } from './state';

/** FerretDB v1 hangs on update commands of more than about 20 statements: never send more than this. */
export const MAX_UPDATE_STATEMENTS = 10;
const CHECKPOINT_PREFIX = 'projection:';
/** A checkpoint not refreshed for this long belongs to an instance that is gone. */
const CHECKPOINT_STALE_MS = 10 * 60_000;

type Kind = 'offer' | 'demand' | 'match' | 'certification' | 'scope';
const models = { offer: OfferModel, demand: DemandModel, match: MatchModel, certification: CertificationModel, scope: CoordinatorScopeModel } as unknown as Record<Kind, mongoose.Model<any>>;

/**
 * Writes the collections people query from the ledger's state. Coalescing: an entity changed many times
 * between two flushes is written once, as it is now, with the sequence number it reflects. New documents go
 * in batched inserts (cheap); changed ones in update commands by bare `_id` (any other filter makes FerretDB's
 * SQLite backend scan the collection) of at most MAX_UPDATE_STATEMENTS statements.
 *
 * Every instance projects every command it applies, its own and the others', in log order, so the last
 * write each instance makes of a document is the newest it knows. After each flush the instance records its
 * checkpoint (the log position all its writes have reached); start-up replays the log from the lowest
 * checkpoint of any instance, so a write an instance never finished (it died) is made again. A checkpoint
 * left by a dead instance is removed once a live one has projected past it.
 */
export class Projector {
  private readonly dirty = new Map<string, Kind>();
  private readonly orgsDirty = new Set<string>();
  private idems: IdemRecord[] = [];
  /** Ids known to have a document (so they are updated, not inserted). */
  private readonly stored = new Set<string>();
  private readonly orgStatsWritten = new Map<string, number>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Statements sent per update command (for the regression test and the bench). */
  maxStatementsSent = 0;
  flushes = 0;
  /** The log position the collections reflect (as of the last flush). */
  projectedSeq = 0;
  lastError: unknown = null;

  readonly instanceId = new mongoose.Types.ObjectId().toHexString();
  private heartbeat: NodeJS.Timeout | null = null;
  private swept = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly opts: { delayMs?: number } = {},
  ) {
    ledger.onCommitted((events) => this.mark(events));
    ledger.onReplicated((events) => this.mark(events));
  }

  /** Ids already projected (loaded at start-up). */
  markStored(id: string) {
    this.stored.add(id);
  }

  markOrgStats(id: string, statsSeq: number) {
    this.orgStatsWritten.set(id, statsSeq);
  }

  private mark(events: LedgerEvent[]) {
    for (const e of events) {
      const d = e.data as { offer?: { id: string }; demand?: { id: string }; match?: { id: string; supplierOrgId: string }; certification?: { id: string }; scope?: { userId: string } };
      if (d.offer) this.dirty.set(d.offer.id, 'offer');
      if (d.certification) this.dirty.set(d.certification.id, 'certification');
      if (d.scope) this.dirty.set(d.scope.userId, 'scope');
      if (d.demand) this.dirty.set(d.demand.id, 'demand');
      if (d.match) {
        this.dirty.set(d.match.id, 'match');
        this.orgsDirty.add(d.match.supplierOrgId);
      }
      if (e.idem) this.idems.push(e.idem);
    }
    this.schedule();
  }

  private schedule() {
    if (this.stopped || this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.loop().finally(() => {
        this.running = null;
        if (this.dirty.size || this.idems.length) this.schedule();
      });
    }, this.opts.delayMs ?? 20);
  }

  private async loop() {
    while (this.dirty.size || this.orgsDirty.size || this.idems.length) {
      try {
        await this.flush();
        this.lastError = null;
      } catch (err) {
        this.lastError = err;
        await new Promise((r) => setTimeout(r, 500)); // database blip: the dirty set is kept, try again
        if (this.stopped) return;
      }
    }
  }

  /** Resolves once everything committed so far is written (tests, benchmarks, stop). */
  async idle(): Promise<void> {
    await this.ledger.settled();
    for (;;) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        this.running = this.loop().finally(() => (this.running = null));
      }
      if (this.running) await this.running;
      else if (this.dirty.size || this.idems.length || this.orgsDirty.size) this.running = this.loop().finally(() => (this.running = null));
      else return;
    }
  }

  private async flush() {
    // a consistent snapshot: taken between batches, never while a batch is in flight
    const snap = await this.ledger.between(() => {
      const upTo = this.ledger.lastSeq();
      const entities: { kind: Kind; id: string; doc: Record<string, unknown> }[] = [];
      for (const [id, kind] of this.dirty) {
        const seq = this.ledger.state.seqOf.get(id) ?? 0;
        if (kind === 'offer') {
          const o = this.ledger.state.offers.get(id);
          if (o) entities.push({ kind, id, doc: offerDocOf(o, seq) });
        } else if (kind === 'demand') {
          const d = this.ledger.state.demands.get(id);
          if (d) entities.push({ kind, id, doc: demandDocOf(d, seq) });
        } else if (kind === 'certification') {
          const c = this.ledger.state.certs.get(id);
          if (c) entities.push({ kind, id, doc: { ...c, _id: id, seq } });
        } else if (kind === 'scope') {
          const sc = this.ledger.state.scopes.get(id);
          if (sc) entities.push({ kind, id, doc: { ...sc, _id: id, seq } });
        } else {
          const m = this.ledger.state.matches.get(id);
          if (m) entities.push({ kind, id, doc: matchDocOf(m, seq) });
        }
      }
      const orgs: { id: string; stats: unknown; statsSeq: number }[] = [];
      for (const id of this.orgsDirty) {
        const o = this.ledger.state.orgs.get(id);
        if (o && o.statsSeq > (this.orgStatsWritten.get(id) ?? 0)) orgs.push({ id, stats: o.stats, statsSeq: o.statsSeq });
      }
      this.dirty.clear();
      this.orgsDirty.clear();
      const idems = this.idems;
      this.idems = [];
      return { upTo, entities, orgs, idems };
    });
    try {
      for (const kind of ['offer', 'demand', 'match', 'certification', 'scope'] as Kind[]) {
        const mine = snap.entities.filter((e) => e.kind === kind);
        const fresh = mine.filter((e) => !this.stored.has(e.id));
        const known = mine.filter((e) => this.stored.has(e.id));
        if (fresh.length) {
          const clashed = await this.insert(models[kind], fresh.map((e) => e.doc));
          for (const e of fresh) if (!clashed.has(String(e.doc._id))) this.stored.add(e.id);
          known.push(...fresh.filter((e) => clashed.has(String(e.doc._id))));
        }
        for (let i = 0; i < known.length; i += MAX_UPDATE_STATEMENTS) {
          const chunk = known.slice(i, i + MAX_UPDATE_STATEMENTS);
          this.maxStatementsSent = Math.max(this.maxStatementsSent, chunk.length);
          await models[kind].collection.bulkWrite(
            chunk.map((e) => ({
              replaceOne: { filter: { _id: e.doc._id }, replacement: e.doc },
            })) as never[],
            { ordered: false },
          );
          for (const e of chunk) this.stored.add(e.id);
        }
      }
      for (let i = 0; i < snap.orgs.length; i += MAX_UPDATE_STATEMENTS) {
        const chunk = snap.orgs.slice(i, i + MAX_UPDATE_STATEMENTS);
        this.maxStatementsSent = Math.max(this.maxStatementsSent, chunk.length);
        await OrganizationModel.collection.bulkWrite(
          chunk.map((o) => ({ updateOne: { filter: { _id: oid(o.id) }, update: { $set: { stats: o.stats, statsSeq: o.statsSeq } } } })) as never[],
          { ordered: false },
        );
        for (const o of chunk) this.orgStatsWritten.set(o.id, o.statsSeq);
      }
      if (snap.idems.length) {
        await this.insert(
          IdempotencyModel,
          snap.idems.map((r) => ({ _id: r.key, fingerprint: r.fingerprint, status: r.status, kind: r.kind, entityId: r.id, at: new Date(r.at) })),
        );
      }
      await this.writeCheckpoint(snap.upTo);
      this.flushes++;
    } catch (err) {
      // put the snapshot back: the next flush writes it (values are read again then, so nothing is older)
      for (const e of snap.entities) if (!this.dirty.has(e.id)) this.dirty.set(e.id, e.kind);
      for (const o of snap.orgs) this.orgsDirty.add(o.id);
      this.idems.unshift(...snap.idems);
      throw err;
    }
  }

  private async writeCheckpoint(seq: number) {
    await SettingModel.collection.replaceOne({ _id: CHECKPOINT_PREFIX + this.instanceId } as never, { value: seq, at: new Date() }, { upsert: true });
    this.projectedSeq = Math.max(this.projectedSeq, seq);
    if (!this.swept) {
      this.swept = true;
      await sweepCheckpoints(this.projectedSeq).catch(() => (this.swept = false));
    }
  }

  /** Keeps this instance's checkpoint fresh while it is idle, so others do not take it for a dead one's. */
  startHeartbeat(intervalMs = 60_000) {
    this.heartbeat ??= setInterval(() => {
      if (!this.running && !this.dirty.size) void this.writeCheckpoint(this.projectedSeq).catch(() => undefined);
    }, intervalMs);
    this.heartbeat.unref();
  }

  /** Inserts documents unordered; returns the ids that already existed. */
  private async insert(model: mongoose.Model<any>, docs: Record<string, unknown>[]): Promise<Set<string>> {
    const clashed = new Set<string>();
    try {
      await model.collection.insertMany(docs as never[], { ordered: false });
    } catch (err) {
      type WriteError = { index?: number; code?: number; err?: { index?: number; code?: number } };
      const raw = (err as { writeErrors?: WriteError[] | WriteError }).writeErrors;
      const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
      if (!list.length) throw err;
      for (const w of list) {
        const code = w.code ?? w.err?.code;
        if (code !== 11000) throw err;
        clashed.add(String(docs[w.index ?? w.err?.index ?? -1]?._id));
      }
    }
    return clashed;
  }

  stop() {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

type Checkpoint = { _id: string; value: number; at?: Date };

async function checkpoints(): Promise<Checkpoint[]> {
  const all = (await SettingModel.collection.find({}).toArray()) as unknown as Checkpoint[];
  return all.filter((d) => String(d._id).startsWith(CHECKPOINT_PREFIX) && typeof d.value === 'number');
}

/** Removes the checkpoints of instances gone for a while that `projected` has passed. */
async function sweepCheckpoints(projected: number) {
  const now = Date.now();
  for (const c of await checkpoints()) {
    if (c.value <= projected && (!c.at || now - new Date(c.at).getTime() > CHECKPOINT_STALE_MS)) {
      await SettingModel.collection.deleteOne({ _id: c._id } as never);
    }
  }
}

/** The log position every instance's projections have reached: the lowest checkpoint (0 when none). */
export async function readCheckpoint(): Promise<number> {
  const all = await checkpoints();
  return all.length ? Math.min(...all.map((c) => c.value)) : 0;
}

/**
 * Start-up: loads every projection into the ledger's state, then replays the log after the checkpoint.
 * Returns how many documents were loaded and events replayed.
 */
export async function loadLedger(ledger: Ledger, projector: Projector): Promise<{ documents: number; replayed: number; ms: number }> {
  const started = performance.now();
  const checkpoint = await readCheckpoint();
  const [orgs, offers, demands, matches, certs, scopes] = await Promise.all([
    OrganizationModel.collection.find({}, { projection: { name: 1, nameZh: 1, kind: 1, region: 1, location: 1, certifications: 1, stats: 1, statsSeq: 1 } }).toArray(),
    OfferModel.collection.find({}).toArray(),
    DemandModel.collection.find({}).toArray(),
    MatchModel.collection.find({}).toArray(),
    CertificationModel.collection.find({}).toArray(),
    CoordinatorScopeModel.collection.find({}).toArray(),
  ]);
  for (const o of orgs) {
    const info = ledger.rememberOrg(o as never);
    projector.markOrgStats(info.id, info.statsSeq);
  }
  const state = ledger.state;
  for (const o of offers as unknown as (OfferDoc & { seq?: number })[]) {
    state.load('offer', toOfferDto(o, 0), o.seq ?? 0);
    projector.markStored(String(o._id));
  }
  for (const d of demands as unknown as (DemandDoc & { seq?: number })[]) {
    state.load('demand', toDemandDto(d, 0), d.seq ?? 0);
    projector.markStored(String(d._id));
  }
  for (const m of matches as unknown as (MatchDoc & { seq?: number })[]) {
    state.load('match', toMatchDto(m), m.seq ?? 0);
    projector.markStored(String(m._id));
  }
  for (const raw of certs as unknown as (StoredCertification & { _id: string; seq?: number })[]) {
    const { _id, seq, ...c } = raw;
    state.putCert({ ...c, id: _id }, seq ?? 0);
    projector.markStored(_id);
  }
  for (const raw of scopes as unknown as (CoordinatorScope & { _id: string; seq?: number })[]) {
    const { _id, seq, ...sc } = raw;
    void seq;
    state.putScope({ ...sc, userId: _id });
    projector.markStored(_id);
  }
  // idempotency keys of the last day, so a late retry still finds its result
  const since = new Date(ledger.now() - 86_400_000);
  const keys = (await IdempotencyModel.collection.find({ at: { $gte: since } } as never).toArray()) as unknown as { _id: string; fingerprint: string; status: number; kind: IdemRecord['kind']; entityId: string | null; at: Date }[];
  for (const k of keys) state.putIdem({ key: k._id, fingerprint: k.fingerprint, status: k.status, kind: k.kind, id: k.entityId, at: k.at.toISOString() });
  ledger.setStart(checkpoint);
  projector.projectedSeq = checkpoint;
  const replayed = await ledger.replay();
  return { documents: offers.length + demands.length + matches.length + orgs.length + certs.length + scopes.length, replayed, ms: Math.round(performance.now() - started) };
}
