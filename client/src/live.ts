import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../models/common.schema';
import { eventTypes, type ClientToServerEvents, type LoggedEvent, type ResyncResult, type ServerToClientEvents, type Subscribe } from '../../models/events';
import type { Store } from './store';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// the server scans its event log for every resync; on a busy embedded database that takes seconds
const ACK_TIMEOUT_MS = 60_000;
/** Events per resync page: one large page costs the server one scan instead of several. */
const RESYNC_PAGE = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How many seqs below the settled position are still remembered as applied (a late event older than that is dropped). */
const SEEN_WINDOW = 10_000;
/** Waits this long after a live event beyond the settled position before asking the server for the gap. */
const GAP_DEBOUNCE_MS = 200;
/** Asks again for a gap the server has not scanned yet (another instance's event not yet in its log), up to this often. */
const GAP_RETRIES = 5;

/**
 * The Socket.IO link with the resync protocol. It keeps a settled position (`floor`: every seq up to it was
 * scanned by a resync, so it is applied or not ours to see) and the set of seqs applied above
 * `floor - SEEN_WINDOW`. On every (re)connect it re-sends the coordinator's filter, asks `resync {afterSeq}`
 * until `more` is false, and only then applies the live events that arrived meanwhile.
 *
 * With several server instances, live events reach a socket through Redis in no fixed order: an event may
 * come after one with a higher seq. So a live event is applied unless its seq was already applied (not merely
 * because a higher one was), and a live event beyond `floor` makes the client ask the server for the gap
 * (`resync {afterSeq: floor}`), which brings whatever it has not received yet and moves `floor` on. So a
 * dropped connection or a late event loses nothing, and no event is applied twice.
 */
export class Live {
  private socket: LiveSocket | null = null;
  /** Every seq up to here was scanned by a resync. */
  private floor = 0;
  /** Seqs applied above `floor - SEEN_WINDOW`. */
  private seen = new Set<number>();
  /** The highest seq applied. */
  private maxSeq = 0;
  /** The seq of the coverage snapshot shown (an older one arriving late must not replace it). */
  private coverageSeq = 0;
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private gapFetching = false;
  private gapRetries = 0;
  /** Test hook: the live events of this type are held back, as a slow path through Redis would. */
  private holding: string | null = null;
  private held: LoggedEvent[] = [];
  private syncing = false;
  private buffered: LoggedEvent[] = [];
  private filter: Subscribe = {};
  private generation = 0;
  private everConnected = false;
  private firstSync: Promise<void> = Promise.resolve();
  private resolveFirstSync: () => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly onUnauthorized: () => void,
  ) {}

  /** Highest seq applied so far (for tests and diagnostics). */
  get seq() {
    return this.maxSeq;
  }

  /** The settled position: every seq up to it was scanned (for tests and diagnostics). */
  get settled() {
    return this.floor;
  }

  /** Resolves once the first resync after `start()` has been applied (or after `maxMs`). */
  synced(maxMs = 90_000): Promise<void> {
    return Promise.race([this.firstSync, new Promise<void>((r) => setTimeout(r, maxMs))]);
  }

  start() {
    if (this.socket) return;
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
    this.resetPosition();
    this.everConnected = false;
    this.store.setConn('connecting');
    // same origin; the httpOnly session cookie authenticates the handshake
    const socket: LiveSocket = io({ withCredentials: true, reconnectionDelay: 500, reconnectionDelayMax: 4000 });
    this.socket = socket;
    socket.on('connect', () => void this.onConnect(socket));
    socket.on('disconnect', (reason) => {
      console.info(`[live] disconnected: ${reason}`);
      this.syncing = false;
      this.buffered = [];
      if (reason === 'io client disconnect') return this.store.setConn('offline');
      this.store.setConn('reconnecting');
      // the server closed this socket on purpose (e.g. a restart): Socket.IO does not retry that by itself
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
    });
    socket.on('connect_error', (err) => {
      console.info(`[live] connection failed: ${err.message}`);
      if (/unauthorized/i.test(err.message)) {
        this.onUnauthorized();
        return;
      }
      this.store.setConn(this.everConnected ? 'reconnecting' : 'connecting');
    });
    for (const type of eventTypes) {
      socket.on(type, ((payload: LoggedEvent['payload']) => this.onLive({ type, payload } as LoggedEvent)) as never);
    }
  }

  stop() {
    this.generation += 1;
    this.clearGapTimer();
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.syncing = false;
    this.buffered = [];
    this.store.setConn('offline');
  }

  /** Narrows a coordinator's feed; the feed is rebuilt from the log for the new filter. */
  async setFilter(filter: Subscribe) {
    this.filter = filter;
    this.store.clearFeed();
    this.resetPosition();
    const s = this.socket;
    if (s?.connected) await this.onConnect(s);
  }

  /** Test hook: drops the transport as a network failure would (the client reconnects by itself). */
  dropConnection() {
    this.socket?.io.engine?.close();
  }

  /** Test hook: holds back live events of `type` until `releaseLive()` (a late path through Redis). */
  holdLive(type: string) {
    this.holding = type;
  }

  /** Test hook: delivers the held events, in the order they came; returns their seqs. */
  releaseLive(): number[] {
    this.holding = null;
    const late = this.held.splice(0);
    for (const e of late) this.onLive(e);
    return late.map((e) => e.payload.seq);
  }

  private resetPosition() {
    this.floor = 0;
    this.maxSeq = 0;
    this.coverageSeq = 0;
    this.seen.clear();
    this.clearGapTimer();
  }

  private clearGapTimer() {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    this.gapRetries = 0;
  }

  private onLive(event: LoggedEvent) {
    if (this.holding === event.type) {
      this.held.push(event);
      return;
    }
    // a live event was stamped just now by the server: its time tells the server's clock
    this.store.noteServerTime(event.payload.at);
    if (this.syncing) {
      this.buffered.push(event);
      return;
    }
    this.applyIfNew(event);
    // contiguous seqs settle by themselves (a coordinator without a filter sees every one): only a gap is asked for
    while (this.seen.has(this.floor + 1)) this.floor += 1;
    if (this.maxSeq > this.floor) this.fetchGapSoon();
  }

  private applyIfNew(event: LoggedEvent) {
    const seq = event.payload.seq;
    // settled long ago: applied then, or not ours to see
    if (seq <= this.floor - SEEN_WINDOW || this.seen.has(seq)) return;
    this.seen.add(seq);
    this.maxSeq = Math.max(this.maxSeq, seq);
    if (event.type === 'coverage:updated') {
      // a coverage snapshot is whole: one older than the one shown would take it back in time
      if (seq < this.coverageSeq) return;
      this.coverageSeq = seq;
    }
    this.store.apply(event);
  }

  /** Moves the settled position to `scannedTo` and forgets seqs far below it. */
  private settle(scannedTo: number) {
    if (scannedTo <= this.floor) return;
    this.floor = scannedTo;
    if (this.seen.size > SEEN_WINDOW) for (const s of this.seen) if (s <= this.floor - SEEN_WINDOW) this.seen.delete(s);
  }

  private fetchGapSoon(delay = GAP_DEBOUNCE_MS) {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      void this.fetchGap();
    }, delay);
  }

  /** Asks the server for every event after the settled position (the gaps below the highest seq seen). */
  private async fetchGap() {
    const socket = this.socket;
    if (!socket?.connected || this.syncing || this.gapFetching) return;
    const gen = this.generation;
    this.gapFetching = true;
    try {
      for (;;) {
        const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('resync', { afterSeq: this.floor, limit: RESYNC_PAGE })) as Ack<ResyncResult>;
        if (gen !== this.generation || this.syncing) return;
        if (!ack.ok) break;
        for (const e of ack.data.events) this.applyIfNew(e);
        this.settle(ack.data.lastSeq);
        if (!ack.data.more) break;
      }
    } catch (err) {
      console.info(`[live] gap fetch failed: ${(err as Error).message}`);
    } finally {
      this.gapFetching = false;
    }
    if (gen !== this.generation) return;
    // this server has not scanned up to what we have seen yet (another instance's event still on its way)
    if (this.maxSeq > this.floor && this.gapRetries < GAP_RETRIES) {
      this.gapRetries += 1;
      this.fetchGapSoon(GAP_DEBOUNCE_MS * 2 ** this.gapRetries);
    } else this.gapRetries = 0;
  }

  private async onConnect(socket: LiveSocket) {
    const gen = ++this.generation;
    this.everConnected = true;
    this.syncing = true;
    this.buffered = [];
    this.store.setConn(this.floor > 0 ? 'reconnecting' : 'connecting');
    try {
      if (this.store.isCoordinator) {
        const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', this.filter)) as Ack<unknown>;
        if (!ack.ok) throw new Error(ack.error.message);
      }
      for (;;) {
        const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('resync', { afterSeq: this.floor, limit: RESYNC_PAGE })) as Ack<ResyncResult>;
        if (gen !== this.generation) return;
        if (!ack.ok) {
          if (ack.error.code === 'unauthorized') return this.onUnauthorized();
          await sleep(1000);
          continue;
        }
        for (const e of ack.data.events) this.applyIfNew(e);
        // events after the last one shown may be invisible to us: the scan position is still ours
        this.settle(ack.data.lastSeq);
        if (!ack.data.more) break;
      }
      if (gen !== this.generation) return;
      const queued = this.buffered.sort((a, b) => a.payload.seq - b.payload.seq);
      this.buffered = [];
      this.syncing = false;
      for (const e of queued) this.applyIfNew(e);
      if (this.maxSeq > this.floor) this.fetchGapSoon();
      this.store.setConn('connected');
      this.resolveFirstSync();
    } catch (err) {
      console.info(`[live] resync failed: ${(err as Error).message}`);
      if (gen !== this.generation) return;
      // no answer in time: start over on a fresh connection
      this.syncing = false;
      this.store.setConn('reconnecting');
      socket.io.engine?.close();
    }
  }
}
