import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { EventModel, eventKey } from '../../models/event.model';
import type { EventType } from '../../models/events';
import { OrganizationModel } from '../../models/organization.model';
import { AppError } from '../errors';
import { LedgerState, type IdemRecord, type LedgerEvent, type OrgInfo } from './state';

/** Who may see an event: members of `orgIds`, and coordinators whose filter admits its region and category. */
export interface EventVisibility {
  orgIds: string[];
  region: string | null;
  categories: string[];
}

/** An idempotency key as a command carries it: the caller's scope and key, and the request's fingerprint. */
export interface IdemKey {
  key: string;
  fingerprint: string;
  /** Set when the command found the key already committed and answered from it. */
  replayed?: boolean;
}

/** What a command sees and does: the state at its log position, the clock, and `emit`. */
export interface Tx {
  readonly state: LedgerState;
  /** The command's time (ms), the same for every event it emits. */
  readonly now: number;
  emit(type: EventType, data: Record<string, unknown>, visibility: EventVisibility): void;
  /** A new entity id (an ObjectId's hex string). */
  newId(): string;
  /**
   * With an idempotency key: the record of the command that already used it (null when none did).
   * @throws AppError conflict when the key was used with another request body
   */
  replay(idem: IdemKey | undefined): IdemRecord | null;
  /** Remembers the key with what a retry gets back; logged with the command's first event. */
  remember(idem: IdemKey | undefined, result: Omit<IdemRecord, 'key' | 'fingerprint' | 'at'>): void;
}

export type Command<R> = (tx: Tx) => R;

interface Pending {
  id: string;
  run: Command<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  result?: unknown;
  error?: unknown;
  events: LedgerEvent[];
  /** Whether the last batch it was in ran it (false: no time was left; it waits for the next batch). */
  ran?: boolean;
}

function isDuplicateKey(err: unknown) {
  const e = err as { code?: unknown; writeErrors?: { code?: unknown }[]; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 11000) return true;
  if (Array.isArray(e.writeErrors) && e.writeErrors.some((w) => w.code === 11000)) return true;
  return /E11000|duplicate key/i.test(String(e.message ?? ''));
}

export interface LedgerOptions {
  now?: () => number;
  /** Commands per batch at most. */
  maxBatch?: number;
  /**
   * Milliseconds of running commands after which a batch takes no more (at least one): the rest wait for the
   * next batch, so the process answers sockets and requests between batches instead of stalling for the whole
   * queue. Default 50.
   */
  batchBudgetMs?: number;
  /** Recent events kept in memory for resync. */
  recentEvents?: number;
}

/**
 * The ledger core: the Event log is the commit point. One committer per process takes the queued commands
 * in order, runs each against the in-memory state as of the log position it will be written at (each
 * command's events are applied as it emits them, under a journal), and appends the whole batch with
 * consecutive sequence numbers in one ordered insert. A command is answered once its batch is durable.
 *
 * Several instances share the log: a sequence number is an `_id`, so two instances cannot both write it.
 * An instance that loses the race rolls its batch back, reads what it missed, and runs its commands again.
 * A command's events carry its id and the last one is marked, so a reader applies a command whole or not at
 * all: a prefix left by a writer that died mid-insert, followed by another command, is skipped by everyone.
 */
export class Ledger {
  readonly state = new LedgerState();
  readonly now: () => number;
  private readonly maxBatch: number;
  private readonly batchBudgetMs: number;
  private readonly recentMax: number;
  /** The next sequence number to write. */
  private nextSeq = 1;
  /** The highest sequence number applied. */
  private appliedSeq = 0;
  /** Events of a command whose last event is not in the log yet (in flight elsewhere, or abandoned). */
  private partial: LedgerEvent[] = [];
  private queue: Pending[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private draining = false;
  private tailTimer: NodeJS.Timeout | null = null;
  private readonly ownListeners: ((events: LedgerEvent[]) => void)[] = [];
  private readonly otherListeners: ((events: LedgerEvent[]) => void)[] = [];
  private readonly recent: LedgerEvent[] = [];
  private closed = false;
  /** Told of an append that failed for another reason than a lost race (its commands are answered 503). */
  onError?: (err: unknown) => void;

  constructor(opts: LedgerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxBatch = opts.maxBatch ?? 256;
    this.batchBudgetMs = opts.batchBudgetMs ?? 50;
    this.recentMax = opts.recentEvents ?? 20_000;
  }

  // ---- listeners -----------------------------------------------------------------------------------

  /** Called, in log order, with the events of each batch this process committed, once durable. */
  onCommitted(listener: (events: LedgerEvent[]) => void) {
    this.ownListeners.push(listener);
  }

  /** Called with events other instances committed, as this process applies them. */
  onReplicated(listener: (events: LedgerEvent[]) => void) {
    this.otherListeners.push(listener);
  }

  /** The last sequence number applied (0 when the log is empty). */
  lastSeq(): number {
    return this.appliedSeq;
  }

  // ---- start-up ------------------------------------------------------------------------------------

  /** Registers the position the loaded projections reflect; replay starts after it. */
  setStart(seq: number) {
    this.appliedSeq = seq;
    this.nextSeq = seq + 1;
  }

  /** Reads and applies everything in the log after the current position. */
  catchUp(): Promise<number> {
    return this.serialized(() => this.readAhead(new Map()));
  }

  /**
   * Start-up: reads the log after the current position in one ordered range read (a look-up per event costs
   * a collection scan on FerretDB v1, a range read costs one), applies every whole command, then the usual
   * look-ups finish the tail.
   */
  replay(): Promise<number> {
    return this.serialized(async () => {
      let applied = 0;
      const cursor = EventModel.collection.find({ _id: { $gt: eventKey(this.nextSeq - 1) } } as never).sort({ _id: 1 }).batchSize(5000);
      for await (const raw of cursor) {
        const doc = raw as unknown as LedgerEvent;
        if (doc.seq !== this.nextSeq) break; // a gap would be a write still in flight: the look-ups take over
        applied += await this.take(doc, new Map());
      }
      return applied + (await this.readAhead(new Map()));
    });
  }

  /** Makes sure an organization is known to matching (organizations are written by accounts, not the log). */
  async ensureOrg(id: string): Promise<OrgInfo> {
    const known = this.state.orgs.get(id);
    if (known) return known;
    if (!mongoose.isValidObjectId(id)) throw AppError.notFound('Organization');
    const o = await OrganizationModel.findById(id).lean();
    if (!o) throw AppError.notFound('Organization');
    return this.rememberOrg(o);
  }

  /** Adds an organization as loaded from its collection (kept as it is if already known). */
  rememberOrg(o: { _id: unknown; name: string; nameZh?: string | null; kind: string; region: string; location?: { lat: number; lng: number } | null; certifications?: string[] | null; stats?: { confirmed?: number | null; delivered?: number | null; cancelled?: number | null; lapsed?: number | null } | null; statsSeq?: number | null }): OrgInfo {
    const id = String(o._id);
    const known = this.state.orgs.get(id);
    if (known) return known;
    const info: OrgInfo = {
      id,
      name: o.name,
      ...(o.nameZh ? { nameZh: o.nameZh } : {}),
      kind: o.kind,
      region: o.region,
      location: { lat: o.location?.lat ?? 0, lng: o.location?.lng ?? 0 },
      certifications: [...(o.certifications ?? [])],
      stats: { confirmed: o.stats?.confirmed ?? 0, delivered: o.stats?.delivered ?? 0, cancelled: o.stats?.cancelled ?? 0, lapsed: o.stats?.lapsed ?? 0 },
      statsSeq: o.statsSeq ?? 0,
    };
    this.state.orgs.set(id, info);
    return info;
  }

  // ---- commands ------------------------------------------------------------------------------------

  /**
   * Queues a command; resolves with its result once its events are durable in the log (or at once when it
   * changed nothing), rejects with the error it threw (nothing of it is written then).
   */
  submit<R>(run: Command<R>): Promise<R> {
    if (this.closed) return Promise.reject(new AppError('db_unavailable', 'The service is stopping', 503));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: crypto.randomBytes(8).toString('hex'), run: run as Command<unknown>, resolve: resolve as (v: unknown) => void, reject, events: [] });
      if (!this.draining) {
        this.draining = true;
        // group commit: commands arriving in the same tick share the batch
        setImmediate(() => void this.serialized(() => this.drain()));
      }
    });
  }

  /** Resolves when every command queued so far has been answered. */
  async settled(): Promise<void> {
    await this.serialized(async () => undefined);
    if (this.queue.length || this.draining) await new Promise((r) => setTimeout(r, 5)).then(() => this.settled());
  }

  /** Runs `fn` between batches, when the state holds exactly what is committed. */
  between<T>(fn: () => T): Promise<T> {
    return this.serialized(async () => fn());
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async drain() {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.draining = false;
      if (this.queue.length) {
        this.draining = true;
        setImmediate(() => void this.serialized(() => this.drain()));
      }
    }
  }

  /** Runs a batch of commands against the state, appends their events, answers them. */
  private async commit(batch: Pending[]) {
    let todo = batch;
    for (let attempt = 0; todo.length; attempt++) {
      const docs = this.runAll(todo);
      // commands the batch had no time left for go back to the head of the queue, in order
      const later = todo.filter((p) => !p.ran);
      if (later.length) {
        todo = todo.filter((p) => p.ran);
        this.queue.unshift(...later);
      }
      const failed = todo.filter((p) => p.error !== undefined);
      for (const p of failed) p.reject(p.error);
      const writing = todo.filter((p) => p.error === undefined && p.events.length);
      for (const p of todo) if (p.error === undefined && !p.events.length) p.resolve(p.result);
      if (!writing.length) {
        this.state.endJournal();
        return;
      }
      try {
        await EventModel.collection.insertMany(docs as never[], { ordered: true });
      } catch (err) {
        if (!isDuplicateKey(err)) this.onError?.(err);
        this.state.rollback();
        this.state.endJournal();
        const mine = new Map(writing.map((p) => [p.id, p]));
        let readError: unknown = null;
        try {
          await this.readAhead(mine);
        } catch (e) {
          readError = e;
        }
        // commands found whole in the log are committed; the rest are run again or refused
        todo = writing.filter((p) => mine.has(p.id));
        if (!todo.length) return;
        if (!isDuplicateKey(err) || readError || attempt >= 50) {
          const answer = new AppError('db_unavailable', 'The database did not confirm the write; retry with the same Idempotency-Key', 503);
          for (const p of todo) p.reject(answer);
          return;
        }
        for (const p of todo) {
          p.events = [];
          p.result = undefined;
          p.error = undefined;
        }
        continue;
      }
      this.state.endJournal();
      this.nextSeq += docs.length;
      this.appliedSeq = this.nextSeq - 1;
      this.partial = [];
      this.remember(docs);
      for (const l of this.ownListeners) l(docs);
      for (const p of writing) p.resolve(p.result);
      return;
    }
  }

  /** Runs every command in order under one journal; returns the batch's events with their numbers. */
  private runAll(todo: Pending[]): LedgerEvent[] {
    const state = this.state;
    state.beginJournal();
    const docs: LedgerEvent[] = [];
    const at = new Date(this.now());
    const started = performance.now();
    let ran = 0;
    for (const p of todo) p.ran = false;
    for (const p of todo) {
      if (ran > 0 && performance.now() - started > this.batchBudgetMs) break;
      p.ran = true;
      ran++;
      const mark = state.mark();
      const events: LedgerEvent[] = [];
      let idem: IdemRecord | undefined;
      const tx: Tx = {
        state,
        now: at.getTime(),
        newId: () => new mongoose.Types.ObjectId().toHexString(),
        emit: (type, data, visibility) => {
          const seq = this.nextSeq + docs.length + events.length;
          const e: LedgerEvent = {
            _id: eventKey(seq),
            seq,
            type,
            at,
            orgIds: visibility.orgIds,
            region: visibility.region,
            categories: visibility.categories,
            data: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
            cmd: p.id,
          };
          if (!events.length && idem) e.idem = idem;
          state.apply(e);
          events.push(e);
        },
        replay: (key) => {
          if (!key) return null;
          const rec = state.idem.get(key.key);
          if (!rec || Date.parse(rec.at) < at.getTime() - 86_400_000) return null;
          if (rec.fingerprint !== key.fingerprint) throw AppError.conflict('This Idempotency-Key was used with a different request');
          key.replayed = true;
          return rec;
        },
        remember: (key, result) => {
          if (!key) return;
          idem = { key: key.key, fingerprint: key.fingerprint, at: at.toISOString(), ...result };
          if (events.length) {
            events[0].idem = idem;
            state.putIdem(idem);
          }
        },
      };
      try {
        p.result = p.run(tx);
        if (events.length) events[events.length - 1].last = true;
        p.events = events;
        docs.push(...events);
      } catch (err) {
        state.rollback(mark);
        p.error = err;
        p.events = [];
      }
    }
    return docs;
  }

  /**
   * Reads the log after the current position and applies every whole command, in order. Commands of this
   * process found there (`mine`, after a failed insert) are answered as committed and removed from `mine`.
   */
  private async readAhead(mine: Map<string, Pending>): Promise<number> {
    let applied = 0;
    // one look-up while the log has nothing new (the usual tail tick); batches of parallel look-ups while it has
    for (let batch = 1; ; batch = Math.min(64, batch * 4)) {
      const want = Array.from({ length: batch }, (_, i) => eventKey(this.nextSeq + i));
      const found = await Promise.all(want.map((_id) => EventModel.collection.findOne({ _id } as never) as Promise<LedgerEvent | null>));
      let end = false;
      for (const doc of found) {
        if (!doc) {
          end = true; // sequence numbers have no holes: the first miss is the end of the log
          break;
        }
        applied += await this.take(doc, mine);
      }
      if (end) return applied;
    }
  }

  /** Takes the next event of the log: a command's events are applied once its last one is read. */
  private async take(doc: LedgerEvent, mine: Map<string, Pending>): Promise<number> {
    this.nextSeq = doc.seq + 1;
    if (this.partial.length && this.partial[0].cmd !== doc.cmd) this.partial = []; // abandoned prefix
    this.partial.push(doc);
    if (doc.cmd !== undefined && !doc.last) return 0;
    const group = this.partial;
    this.partial = [];
    await this.ensureOrgsOf(group);
    for (const e of group) this.state.apply(e);
    this.appliedSeq = group[group.length - 1].seq;
    this.remember(group);
    const own = group[0].cmd !== undefined ? mine.get(group[0].cmd) : undefined;
    if (own) {
      mine.delete(own.id);
      own.resolve(own.result);
      for (const l of this.ownListeners) l(group);
    } else {
      for (const l of this.otherListeners) l(group);
    }
    return group.length;
  }

  private async ensureOrgsOf(group: LedgerEvent[]) {
    for (const e of group) {
      const m = e.data.match as { supplierOrgId?: string } | undefined;
      const o = e.data.offer as { organizationId?: string } | undefined;
      for (const id of [m?.supplierOrgId, o?.organizationId]) {
        if (id && !this.state.orgs.has(id)) await this.ensureOrg(id).catch(() => undefined);
      }
    }
  }

  private remember(events: LedgerEvent[]) {
    for (const e of events) this.recent.push(e);
    if (this.recent.length > this.recentMax * 1.25) this.recent.splice(0, this.recent.length - this.recentMax);
  }

  // ---- reading the log -----------------------------------------------------------------------------

  /**
   * Applied events after `afterSeq`, in order, at most `limit`; `filter` picks the ones a reader may see.
   * Recent events come from memory; older ones in one range read of the log (a command left unfinished
   * there is skipped, as replay skips it), at most `scanLimit` of them per call.
   */
  async since(afterSeq: number, limit: number, filter: (e: LedgerEvent) => boolean = () => true, scanLimit = 2000): Promise<{ events: LedgerEvent[]; scannedTo: number }> {
    const out: LedgerEvent[] = [];
    const first = this.recent[0]?.seq ?? this.appliedSeq + 1;
    let pos = afterSeq;
    if (afterSeq + 1 < first) {
      // older than what memory holds: one ordered range read of a bounded stretch (a look-up per event would
      // cost a collection scan each on FerretDB v1); a command left unfinished there is skipped, as replay skips it
      const stop = Math.min(first - 1, afterSeq + scanLimit);
      const docs = (await EventModel.collection
        .find({ _id: { $gt: eventKey(afterSeq), $lte: eventKey(stop) } } as never)
        .sort({ _id: 1 })
        .toArray()) as unknown as LedgerEvent[];
      let group: LedgerEvent[] = [];
      for (const doc of docs) {
        if (group.length && group[0].cmd !== doc.cmd) group = [];
        group.push(doc);
        if (doc.cmd !== undefined && !doc.last) continue;
        for (const e of group) if (filter(e)) out.push(e);
        pos = group[group.length - 1].seq;
        group = [];
        if (out.length >= limit) break;
      }
      if (!docs.length || (out.length < limit && !group.length && pos < stop)) pos = stop;
      if (out.length >= limit || pos < first - 1) return { events: out.slice(0, limit), scannedTo: pos };
    }
    let lo = 0;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.recent[mid].seq <= pos) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.recent.length && out.length < limit; i++) {
      const e = this.recent[i];
      pos = e.seq;
      if (filter(e)) out.push(e);
    }
    if (out.length < limit) pos = Math.max(pos, this.appliedSeq);
    return { events: out, scannedTo: pos };
  }

  // ---- other instances -----------------------------------------------------------------------------

  /**
   * Polls the log for other instances' commands while idle, every `intervalMs` at least; a probe that takes
   * long (a look-up scans on FerretDB v1) stretches the interval to five times its cost.
   */
  startTailing(intervalMs = 100) {
    if (this.tailTimer) return;
    let busy = false;
    let next = 0;
    this.tailTimer = setInterval(() => {
      if (busy || this.draining || Date.now() < next) return;
      busy = true;
      const started = Date.now();
      this.serialized(() => this.readAhead(new Map()))
        .catch(() => undefined)
        .finally(() => {
          busy = false;
          next = Date.now() + 4 * (Date.now() - started);
        });
    }, intervalMs);
    this.tailTimer.unref();
  }

  /** Stops tailing and refuses new commands; resolves when the queued ones are answered. */
  async close() {
    if (this.tailTimer) clearInterval(this.tailTimer);
    this.tailTimer = null;
    await this.settled();
    this.closed = true;
  }
}
