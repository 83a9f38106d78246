import type http from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Ack } from '../../models/common.schema';
import type { Coverage } from '../../models/metrics.schema';
import type { LedgerEvent as EventDoc } from '../ledger/state';
import {
  ResyncSchema,
  SubscribeSchema,
  type ClientToServerEvents,
  type LoggedEvent,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '../../models/events';
import { canSeeEvent, isStaff, shapeEventPayload } from '../access/policy';
import type { AuthService } from '../auth/auth.service';
import { tokenFrom } from '../auth/token';
import { AppError, toErrorResponse } from '../errors';
import { toLoggedEvent, type EventLog } from '../events/event-log';


import type { Logger } from '../logger';

export type FuchanIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type FuchanSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

const COORDINATORS = 'coordinators';
const ADMINS = 'admins';
const orgRoom = (id: string) => `org:${id}`;
const userRoom = (id: string) => `user:${id}`;
/** Events of certifications and scopes: not for every coordinator, only the organization, coordinators in scope and admins. */
const TRUST_EVENTS = new Set<string>(['certification:updated', 'coordinator:scoped']);

/** Rooms a coordinator joins for its filter; an event is sent to the rooms its region and categories name. */
function coordinatorRooms(filter: SocketData['filter']): string[] {
  const { regions, categories } = filter;
  if (!regions.length && !categories.length) return ['coord:all'];
  if (!categories.length) return regions.map((r) => `coord:r:${r}`);
  if (!regions.length) return categories.map((c) => `coord:c:${c}`);
  return regions.flatMap((r) => categories.map((c) => `coord:rc:${r}|${c}`));
}

/** The coordinator rooms an event goes to (organizations' rooms are addressed one by one, shaped). */
function coordinatorEventRooms(doc: EventDoc): string[] {
  const rooms = ['coord:all'];
  if (doc.region) rooms.push(`coord:r:${doc.region}`);
  for (const c of doc.categories) {
    rooms.push(`coord:c:${c}`);
    if (doc.region) rooms.push(`coord:rc:${doc.region}|${c}`);
  }
  return rooms;
}

/** Whether a socket may see a logged event (the same rule the rooms implement, for resync); see server/access/policy. */
export function canSee(data: SocketData, doc: EventDoc): boolean {
  return canSeeEvent(data, data.filter, doc);
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
  /** The current coverage: the payload of every `coverage:updated` (the log records only that it was announced). */
  coverage?: () => Coverage;
  /** Called when a coordinator connects (coverage computed while none was listening is due). */
  onCoordinatorConnected?: () => void;
  /** Who besides the organization gets a certification event, and who may resync one (server/trust). */
  trust?: {
    audienceOf(r: { organizationId: string; region: string; certification: string }): string[];
    canSeeTrustEvent(viewer: { userId: string; role: string; organizationId: string | null }, type: string, data: Record<string, unknown>): boolean;
  };
  /** The clock and timers of token expiry (tests inject them; default: the real ones, unref'd). */
  timers?: RealtimeTimers;
}

/** What the token-expiry disconnects need of a clock. */
export interface RealtimeTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: RealtimeTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Node timers hold at most ~24.8 days; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket event handler that no client input can throw out of: a throw or a rejection is logged and,
 * when the client asked for an ack, answered as an error ack.
 */
function guarded<A extends unknown[]>(log: Logger, name: string, handler: (...args: A) => unknown) {
  return (...args: A) => {
    const ack = args[args.length - 1];
    const fail = (err: unknown) => {
      log.warn(`socket ${name} handler failed`, err);
      if (typeof ack !== 'function') return;
      try {
        ack(ackError(err));
      } catch {
        // the client is gone or sent something that is not an ack: nothing to answer
      }
    };
    try {
      const r = handler(...args);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/**
 * Socket.IO on the service's HTTP server: authenticated at the handshake, one room per organization,
 * coordinator rooms per filter, and `resync` from the Event log so a reconnecting client misses nothing.
 * Events are emitted only after they are stored (from the log's append hook).
 */
export function createRealtime(server: http.Server, deps: RealtimeDeps): FuchanIo {
  /** A coverage announcement carries the coverage as it is now (coverage is derived state: only the newest matters). */
  const withCoverage = <E extends LoggedEvent>(e: E): E =>
    e.type === 'coverage:updated' && deps.coverage ? ({ ...e, payload: { ...e.payload, coverage: deps.coverage() } } as E) : e;
  const io: FuchanIo = new Server(server, {
    cors: deps.corsOrigins.length ? { origin: deps.corsOrigins, credentials: true } : undefined,
    maxHttpBufferSize: 100_000,
    connectionStateRecovery: undefined,
  });

  const timers = deps.timers ?? realTimers;
  /** This instance's sockets by the id of the token they were opened with. */
  const byToken = new Map<string, Set<FuchanSocket>>();
  let revocationCheck: NodeJS.Timeout | null = null;
  deps.auth.onRevoked((tokenId) => {
    for (const s of byToken.get(tokenId) ?? []) s.disconnect(true);
  });

  io.use(async (socket, next) => {
    // nothing a client sends may throw out of here: an unhandled rejection would stop the process
    try {
      const raw = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
      const token = typeof raw === 'string' && raw ? raw : tokenFrom({ cookie: socket.handshake.headers.cookie });
      if (!token) return next(new Error('unauthorized: a token is required'));
      await deps.auth.refreshRevocationsIfStale().catch(() => undefined);
      const ctx = deps.auth.verify(token);
      socket.data = {
        userId: ctx.userId,
        role: ctx.role,
        organizationId: ctx.organizationId,
        filter: { regions: [], categories: [] },
        tokenId: ctx.tokenId,
        expiresAt: ctx.expiresAt,
      };
      next();
    } catch {
      next(new Error('unauthorized: invalid or expired token'));
    }
  });

  io.on('connection', (socket: FuchanSocket) => {
    const d = socket.data;
    const isCoordinator = isStaff(d);
    if (isCoordinator) {
      void socket.join([COORDINATORS, userRoom(d.userId), ...(d.role === 'admin' ? [ADMINS] : []), ...coordinatorRooms(d.filter)]);
      deps.onCoordinatorConnected?.();
    } else if (d.organizationId) {
      // staff get every event whole through their coordinator rooms, never the shaped copy of an org room
      void socket.join(orgRoom(d.organizationId));
    }

    // the token's expiry and sign-out end the socket too, not only new requests
    let expiry: unknown = null;
    const armExpiry = () => {
      if (d.expiresAt === undefined) return;
      const left = d.expiresAt - timers.now();
      if (left <= 0) return void socket.disconnect(true);
      expiry = timers.setTimeout(armExpiry, Math.min(left, MAX_TIMER_MS));
    };
    armExpiry();
    if (d.tokenId) {
      const set = byToken.get(d.tokenId) ?? new Set();
      set.add(socket);
      byToken.set(d.tokenId, set);
      // other instances' sign-outs are read while sockets are connected here
      revocationCheck ??= setInterval(() => {
        void deps.auth.refreshRevocationsIfStale().catch(() => undefined);
      }, deps.auth.revocationCheckMs).unref();
    }
    socket.on('disconnect', () => {
      if (expiry !== null) timers.clearTimeout(expiry);
      if (!d.tokenId) return;
      const set = byToken.get(d.tokenId);
      set?.delete(socket);
      if (set && !set.size) byToken.delete(d.tokenId);
      if (!byToken.size && revocationCheck) {
        clearInterval(revocationCheck);
        revocationCheck = null;
      }
    });
    const allow = rateLimiter(deps.eventsPerSecond ?? 20, (deps.eventsPerSecond ?? 20) * 2);

    socket.on('subscribe', guarded(deps.log, 'subscribe', (payload, ack) => {
      if (typeof ack !== 'function') return;
      if (!allow()) return ack(ackError(new AppError('rate_limited', 'Too many socket events', 429)));
      const parsed = SubscribeSchema.safeParse(payload ?? {});
      if (!parsed.success) return ack(ackError(parsed.error));
      if (!isCoordinator) return ack(ackError(AppError.forbidden('Only coordinators can narrow their subscription')));
      for (const r of coordinatorRooms(d.filter)) void socket.leave(r);
      d.filter = { regions: parsed.data.regions ?? [], categories: parsed.data.categories ?? [] };
      void socket.join(coordinatorRooms(d.filter));
      ack({ ok: true, data: d.filter });
    }));

    socket.on('resync', guarded(deps.log, 'resync', async (payload, ack) => {
      if (typeof ack !== 'function') return;
      if (!allow()) return ack(ackError(new AppError('rate_limited', 'Too many socket events', 429)));
      const parsed = ResyncSchema.safeParse(payload);
      if (!parsed.success) return ack(ackError(parsed.error));
      try {
        const limit = parsed.data.limit ?? 1000;
        // served from the ledger's recent events in memory; an old position reads a bounded stretch of the log per call
        const visible0 = (doc: EventDoc) =>
          TRUST_EVENTS.has(doc.type)
            ? isStaff(d)
              ? !!deps.trust?.canSeeTrustEvent(d, doc.type, doc.data)
              : !!d.organizationId && doc.orgIds.includes(d.organizationId)
            : canSee(d, doc);
        const { events, scannedTo } = await deps.eventLog.since(parsed.data.afterSeq, limit, visible0);
        const visible = events.map((doc) => {
          const e = withCoverage(toLoggedEvent(doc));
          return { ...e, payload: shapeEventPayload(d, e.type, e.payload) } as typeof e;
        });
        const end = deps.eventLog.lastSeq();
        const more = scannedTo < end;
        // a position past the end of the log (a client of a database since reloaded) continues from the end, not
        // from its own: else it would miss every event until the log reached it
        const lastSeq = parsed.data.afterSeq > end && !visible.length ? end : scannedTo;
        ack({ ok: true, data: { events: visible, lastSeq, more } });
      } catch (err) {
        ack(ackError(err));
      }
    }));
  });

  deps.eventLog.onCommitted((docs) => {
    for (const doc of docs) {
      const { type, payload } = withCoverage(toLoggedEvent(doc));
      // each instance announces coverage to its own coordinators: through Redis it would arrive twice
      if (type === 'coverage:updated') {
        io.local.to(COORDINATORS).emit(type, payload as never);
        continue;
      }
      if (TRUST_EVENTS.has(type)) {
        const rec = doc.data.certification as { organizationId: string; region: string; certification: string } | undefined;
        const scoped = (doc.data.scope as { userId?: string } | undefined)?.userId;
        const users = rec ? (deps.trust?.audienceOf(rec) ?? []) : scoped ? [scoped] : [];
        io.to([ADMINS, ...users.map(userRoom), ...doc.orgIds.map(orgRoom)]).emit(type, payload as never);
        continue;
      }
      io.to(coordinatorEventRooms(doc)).emit(type, payload as never);
      const match = (payload as { match?: { supplierOrgId: string; buyerOrgId: string } }).match;
      for (const orgId of doc.orgIds) {
        // each party gets its own view (the supplier never sees the buyer's maximum price)
        const role = match && orgId === match.supplierOrgId && orgId !== match.buyerOrgId ? 'supplier' : 'buyer';
        io.to(orgRoom(orgId)).emit(type, shapeEventPayload({ role, organizationId: orgId }, type, payload) as never);
      }
    }
  });

  return io;
}
