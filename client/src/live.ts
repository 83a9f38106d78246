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

/**
 * The Socket.IO link with the resync protocol. It keeps the highest seq applied; on every (re)connect it
 * re-sends the coordinator's filter, asks `resync {afterSeq}` until `more` is false, and only then applies
 * the live events that arrived meanwhile, skipping any seq already applied. So a dropped connection loses
 * nothing and no event is applied twice.
 */
export class Live {
  private socket: LiveSocket | null = null;
  private lastSeq = 0;
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
    return this.lastSeq;
  }

  /** Resolves once the first resync after `start()` has been applied (or after `maxMs`). */
  synced(maxMs = 90_000): Promise<void> {
    return Promise.race([this.firstSync, new Promise<void>((r) => setTimeout(r, maxMs))]);
  }

  start() {
    if (this.socket) return;
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
    this.lastSeq = 0;
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
    this.lastSeq = 0;
    const s = this.socket;
    if (s?.connected) await this.onConnect(s);
  }

  /** Test hook: drops the transport as a network failure would (the client reconnects by itself). */
  dropConnection() {
    this.socket?.io.engine?.close();
  }

  private onLive(event: LoggedEvent) {
    // a live event was stamped just now by the server: its time tells the server's clock
    this.store.noteServerTime(event.payload.at);
    if (this.syncing) {
      this.buffered.push(event);
      return;
    }
    this.applyIfNew(event);
  }

  private applyIfNew(event: LoggedEvent) {
    if (event.payload.seq <= this.lastSeq) return;
    this.store.apply(event);
    this.lastSeq = event.payload.seq;
  }

  private async onConnect(socket: LiveSocket) {
    const gen = ++this.generation;
    this.everConnected = true;
    this.syncing = true;
    this.buffered = [];
    this.store.setConn(this.lastSeq > 0 ? 'reconnecting' : 'connecting');
    try {
      if (this.store.isCoordinator) {
        const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', this.filter)) as Ack<unknown>;
        if (!ack.ok) throw new Error(ack.error.message);
      }
      for (;;) {
        const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('resync', { afterSeq: this.lastSeq, limit: RESYNC_PAGE })) as Ack<ResyncResult>;
        if (gen !== this.generation) return;
        if (!ack.ok) {
          if (ack.error.code === 'unauthorized') return this.onUnauthorized();
          await sleep(1000);
          continue;
        }
        for (const e of ack.data.events) this.applyIfNew(e);
        // events after the last one shown may be invisible to us: the scan position is still ours
        this.lastSeq = Math.max(this.lastSeq, ack.data.lastSeq);
        if (!ack.data.more) break;
      }
      if (gen !== this.generation) return;
      const queued = this.buffered.sort((a, b) => a.payload.seq - b.payload.seq);
      this.buffered = [];
      this.syncing = false;
      for (const e of queued) this.applyIfNew(e);
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
