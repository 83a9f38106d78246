import type http from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Ack } from '../../models/common.schema';
import type { Coverage } from '../../models/metrics.schema';
import type { LedgerEvent as EventDoc } from '../ledger/state';
import {
  ResyncSchema,
  SubscribeSchema,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '../../models/events';
import type { AuthService } from '../auth/auth.service';
import { tokenFrom } from '../http/auth.middleware';
import { AppError, toErrorResponse } from '../errors';
import { toLoggedEvent, type EventLog } from '../events/event-log';

/** Sends coverage to this instance's coordinators (each instance computes its own: not through Redis). */
export function emitCoverage(io: FuchanIo, seq: number, coverage: Coverage) {
  io.local.to(COORDINATORS).emit('coverage:updated', { seq, at: new Date().toISOString(), coverage });
}
import type { Logger } from '../logger';

export type FuchanIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type FuchanSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

const COORDINATORS = 'coordinators';
const orgRoom = (id: string) => `org:${id}`;

/** Rooms a coordinator joins for its filter; an event is sent to the rooms its region and categories name. */
function coordinatorRooms(filter: SocketData['filter']): string[] {
  const { regions, categories } = filter;
  if (!regions.length && !categories.length) return ['coord:all'];
  if (!categories.length) return regions.map((r) => `coord:r:${r}`);
  if (!regions.length) return categories.map((c) => `coord:c:${c}`);
  return regions.flatMap((r) => categories.map((c) => `coord:rc:${r}|${c}`));
}

function eventRooms(doc: EventDoc): string[] {
  if (doc.type === 'coverage:updated') return [COORDINATORS];
  const rooms = doc.orgIds.map(orgRoom);
  rooms.push('coord:all');
  if (doc.region) rooms.push(`coord:r:${doc.region}`);
  for (const c of doc.categories) {
    rooms.push(`coord:c:${c}`);
    if (doc.region) rooms.push(`coord:rc:${doc.region}|${c}`);
  }
  return rooms;
}

/** Whether a socket may see a logged event (the same rule the rooms implement, for resync). */
export function canSee(data: SocketData, doc: EventDoc): boolean {
  if (data.role === 'coordinator' || data.role === 'admin') {
    if (doc.type === 'coverage:updated') return true;
    const { regions, categories } = data.filter;
    if (regions.length && (!doc.region || !regions.includes(doc.region))) return false;
    if (categories.length && !doc.categories.some((c) => categories.includes(c))) return false;
    return true;
  }
  return !!data.organizationId && doc.orgIds.includes(data.organizationId);
}

function ackError(err: unknown): Ack<never> {
  const { body } = toErrorResponse(err);
  return { ok: false, error: body };
}

/** A token bucket per socket: `rate` events a second, bursts up to `burst`. */
function rateLimiter(rate: number, burst: number) {
  let tokens = burst;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

export interface RealtimeDeps {
  auth: AuthService;
  eventLog: EventLog;
  log: Logger;
  corsOrigins: string[];
  eventsPerSecond?: number;
  /** The current coverage, sent to coordinators at the end of a resync. */
  coverage?: () => Coverage;
  /** Called when a coordinator connects (coverage computed while none was listening is due). */
  onCoordinatorConnected?: () => void;
}

/**
 * Socket.IO on the service's HTTP server: authenticated at the handshake, one room per organization,
 * coordinator rooms per filter, and `resync` from the Event log so a reconnecting client misses nothing.
 * Events are emitted only after they are stored (from the log's append hook).
 */
export function createRealtime(server: http.Server, deps: RealtimeDeps): FuchanIo {
  const io: FuchanIo = new Server(server, {
    cors: deps.corsOrigins.length ? { origin: deps.corsOrigins, credentials: true } : undefined,
    maxHttpBufferSize: 100_000,
    connectionStateRecovery: undefined,
  });

  io.use((socket, next) => {
    const raw = socket.handshake.auth?.token;
    const token = typeof raw === 'string' && raw ? raw : tokenFrom({ cookie: socket.handshake.headers.cookie });
    if (!token) return next(new Error('unauthorized: a token is required'));
    try {
      const ctx = deps.auth.verify(token);
      socket.data = { userId: ctx.userId, role: ctx.role, organizationId: ctx.organizationId, filter: { regions: [], categories: [] } };
      next();
    } catch {
      next(new Error('unauthorized: invalid or expired token'));
    }
  });

  io.on('connection', (socket: FuchanSocket) => {
    const d = socket.data;
    const isCoordinator = d.role === 'coordinator' || d.role === 'admin';
    if (isCoordinator) {
      void socket.join([COORDINATORS, ...coordinatorRooms(d.filter)]);
      deps.onCoordinatorConnected?.();
    }
    if (d.organizationId) void socket.join(orgRoom(d.organizationId));
    const allow = rateLimiter(deps.eventsPerSecond ?? 20, (deps.eventsPerSecond ?? 20) * 2);

    socket.on('subscribe', (payload, ack) => {
      if (typeof ack !== 'function') return;
      if (!allow()) return ack(ackError(new AppError('rate_limited', 'Too many socket events', 429)));
      const parsed = SubscribeSchema.safeParse(payload ?? {});
      if (!parsed.success) return ack(ackError(parsed.error));
      if (!isCoordinator) return ack(ackError(AppError.forbidden('Only coordinators can narrow their subscription')));
      for (const r of coordinatorRooms(d.filter)) void socket.leave(r);
      d.filter = { regions: parsed.data.regions ?? [], categories: parsed.data.categories ?? [] };
      void socket.join(coordinatorRooms(d.filter));
      ack({ ok: true, data: d.filter });
    });

    socket.on('resync', async (payload, ack) => {
      if (typeof ack !== 'function') return;
      if (!allow()) return ack(ackError(new AppError('rate_limited', 'Too many socket events', 429)));
      const parsed = ResyncSchema.safeParse(payload);
      if (!parsed.success) return ack(ackError(parsed.error));
      try {
        const limit = parsed.data.limit ?? 1000;
        // served from the ledger's recent events in memory; an old position reads a bounded stretch of the log per call
        const { events, scannedTo } = await deps.eventLog.since(parsed.data.afterSeq, limit, (doc) => canSee(d, doc));
        const visible = events.map(toLoggedEvent);
        const more = scannedTo < deps.eventLog.lastSeq();
        ack({ ok: true, data: { events: visible, lastSeq: scannedTo, more } });
        // coverage is derived state, not a log entry: a coordinator that caught up gets the current one
        const coverage = isCoordinator && !more ? deps.coverage?.() : null;
        if (coverage) socket.emit('coverage:updated', { seq: scannedTo, at: new Date().toISOString(), coverage });
      } catch (err) {
        ack(ackError(err));
      }
    });
  });

  deps.eventLog.onCommitted((docs) => {
    for (const doc of docs) {
      const { type, payload } = toLoggedEvent(doc);
      io.to(eventRooms(doc)).emit(type, payload as never);
    }
  });

  return io;
}
