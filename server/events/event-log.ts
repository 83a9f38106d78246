import { EventModel, eventKey, type EventDoc } from '../../models/event.model';
import type { EventPayloads, EventType, LoggedEvent } from '../../models/events';

/** Who may see an event: members of `orgIds`, and coordinators whose filter admits its region and category. */
export interface EventVisibility {
  orgIds: string[];
  region: string | null;
  categories: string[];
}

type DataOf<K extends EventType> = Omit<EventPayloads[K], 'seq' | 'at'>;

function isDuplicateKey(err: unknown) {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/** Rebuilds the wire payload of a stored event. */
export function toLoggedEvent(doc: EventDoc): LoggedEvent {
  return { type: doc.type, payload: { ...(doc.data as object), seq: doc.seq, at: doc.at.toISOString() } } as LoggedEvent;
}

/**
 * The append-only Event log. Each event's `_id` is its global sequence number, claimed by a unique insert,
 * so instances sharing one database never hand out the same number and never leave a hole.
 */
export class EventLog {
  private nextSeq = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private appendedListeners: ((doc: EventDoc) => void)[] = [];
  private tailListeners: ((doc: EventDoc) => void | Promise<void>)[] = [];
  /** Seqs this process appended and the tail has not passed yet: its own changes are already applied. */
  private readonly own = new Set<number>();
  private tailCursor = 0;
  private tailTimer: NodeJS.Timeout | null = null;
  private tailing = false;

  /** Finds where the log ends; call once after connecting. */
  async init(): Promise<void> {
    const last = (await EventModel.findOne({}, { seq: 1 }).sort({ _id: -1 }).lean()) as { seq: number } | null;
    this.nextSeq = (last?.seq ?? 0) + 1;
    this.tailCursor = this.nextSeq - 1;
  }

  /** Called, in seq order, for each event this process appended (after it is stored). */
  onAppended(listener: (doc: EventDoc) => void) {
    this.appendedListeners.push(listener);
  }

  /** Called, in seq order, for every event other instances appended (polled from the log). */
  onTail(listener: (doc: EventDoc) => void | Promise<void>) {
    this.tailListeners.push(listener);
  }

  /** Stores an event with the next sequence number; resolves once it is durable. Appends are serialized per process. */
  append<K extends EventType>(type: K, data: DataOf<K>, visibility: EventVisibility): Promise<EventDoc> {
    const run = async (): Promise<EventDoc> => {
      if (this.nextSeq === 0) await this.init();
      for (;;) {
        const doc: EventDoc = {
          _id: eventKey(this.nextSeq),
          seq: this.nextSeq,
          type,
          at: new Date(),
          orgIds: visibility.orgIds,
          region: visibility.region,
          categories: visibility.categories,
          data: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
        };
        try {
          await EventModel.create(doc);
          this.nextSeq += 1;
          if (this.tailTimer) this.own.add(doc.seq);
          for (const l of this.appendedListeners) l(doc);
          return doc;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          this.nextSeq = await this.firstFreeSeq(this.nextSeq);
        }
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Stores several events with consecutive sequence numbers in one write (the optimizer's hundreds of
   * proposals); falls back to one-by-one appends from the first number another instance took.
   */
  appendMany(items: { type: EventType; data: Record<string, unknown>; visibility: EventVisibility }[]): Promise<EventDoc[]> {
    const run = async (): Promise<EventDoc[]> => {
      if (this.nextSeq === 0) await this.init();
      const at = new Date();
      const docs: EventDoc[] = items.map((it, i) => ({
        _id: eventKey(this.nextSeq + i),
        seq: this.nextSeq + i,
        type: it.type,
        at,
        orgIds: it.visibility.orgIds,
        region: it.visibility.region,
        categories: it.visibility.categories,
        data: JSON.parse(JSON.stringify(it.data)) as Record<string, unknown>,
      }));
      const batch = `${process.pid}-${Math.random().toString(36).slice(2)}`;
      let stored = docs.length;
      try {
        if (docs.length) await EventModel.collection.insertMany(docs.map((d) => ({ ...d, batch })) as never[], { ordered: true });
      } catch (err) {
        if (!isDuplicateKey(err) && !/E11000|duplicate key/i.test(String((err as Error).message))) throw err;
        // ordered: everything before the first clash is ours
        stored = 0;
        for (const d of docs) {
          const found = (await EventModel.findById(d._id, { batch: 1 }).lean()) as { batch?: string } | null;
          if (found?.batch !== batch) break;
          stored++;
        }
      }
      this.nextSeq += stored;
      const out = docs.slice(0, stored);
      for (const d of out) {
        if (this.tailTimer) this.own.add(d.seq);
        for (const l of this.appendedListeners) l(d);
      }
      return out;
    };
    const first = this.chain.then(run, run);
    this.chain = first.catch(() => undefined);
    return first.then(async (done) => {
      // whatever a concurrent instance's numbers pushed out goes one by one
      const more: EventDoc[] = [];
      for (const it of items.slice(done.length)) more.push(await this.append(it.type, it.data as never, it.visibility));
      return [...done, ...more];
    });
  }

  private async exists(seq: number) {
    return (await EventModel.exists({ _id: eventKey(seq) })) !== null;
  }

  /** Galloping search, by `_id` look-ups only (the one query FerretDB's SQLite backend pushes down). */
  private async firstFreeSeq(from: number): Promise<number> {
    if (!(await this.exists(from))) return from;
    let lo = from;
    let step = 1;
    while (await this.exists(from + step)) {
      lo = from + step;
      step *= 2;
    }
    let hi = from + step;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(mid)) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /**
   * Events after `afterSeq`, in order, at most `limit`. A short gap (the usual reconnect) is read by `_id`
   * look-ups, which FerretDB serves from its index; a long replay falls back to one range scan.
   */
  async since(afterSeq: number, limit: number): Promise<EventDoc[]> {
    if (this.nextSeq > 0 && this.nextSeq - 1 - afterSeq <= 500) {
      const out: EventDoc[] = [];
      for (let next = afterSeq + 1; out.length < limit; next += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, limit - out.length) }, (_, i) => EventModel.findById(eventKey(next + i)).lean()),
        );
        let ended = false;
        for (const doc of batch) {
          if (!doc) {
            ended = true; // seqs have no holes: the first miss is the end of the log
            break;
          }
          out.push(doc as unknown as EventDoc);
        }
        if (ended) break;
      }
      return out;
    }
    return (await EventModel.find({ _id: { $gt: eventKey(afterSeq) } })
      .sort({ _id: 1 })
      .limit(limit)
      .lean()) as unknown as EventDoc[];
  }

  /** The last sequence number handed out (0 when empty). */
  lastSeq(): number {
    return Math.max(0, this.nextSeq - 1);
  }

  /** Polls the log for events from any instance and feeds them to tail listeners. */
  startTailing(intervalMs = 200) {
    if (this.tailTimer) return;
    const tick = async () => {
      if (this.tailing) return;
      this.tailing = true;
      try {
        for (;;) {
          const doc = (await EventModel.findById(eventKey(this.tailCursor + 1)).lean()) as EventDoc | null;
          if (!doc) break;
          if (!this.own.delete(doc.seq)) for (const l of this.tailListeners) await l(doc);
          // advanced only once applied: a blip while applying retries the same event next tick
          this.tailCursor = doc.seq;
        }
      } catch {
        /* database blip: try again next tick */
      } finally {
        this.tailing = false;
      }
    };
    this.tailTimer = setInterval(() => void tick(), intervalMs);
    this.tailTimer.unref();
  }

  stopTailing() {
    if (this.tailTimer) clearInterval(this.tailTimer);
    this.tailTimer = null;
  }
}
