import { z } from 'zod';
import type { Ack } from './common.schema';
import type { Demand } from './demand.schema';
import type { Match } from './match.schema';
import type { Offer } from './offer.schema';
import type { Coverage } from './metrics.schema';
import type { CertificationRecord, CoordinatorScope } from './trust.schema';

export const eventTypes = ['match:proposed', 'match:updated', 'offer:updated', 'demand:updated', 'coverage:updated', 'certification:updated', 'coordinator:scoped'] as const;
export type EventType = (typeof eventTypes)[number];

export interface EventPayloads {
  'match:proposed': { seq: number; at: string; match: Match };
  'match:updated': { seq: number; at: string; match: Match };
  'offer:updated': { seq: number; at: string; offer: Offer };
  'demand:updated': { seq: number; at: string; demand: Demand };
  'coverage:updated': { seq: number; at: string; coverage: Coverage };
  /** A certification record changed (claimed, submitted, verified, rejected, expired): to its organization and the coordinators whose scope covers it. */
  'certification:updated': { seq: number; at: string; certification: CertificationRecord };
  /** An admin set a coordinator's scope: to that coordinator and admins. */
  'coordinator:scoped': { seq: number; at: string; scope: CoordinatorScope };
}

/** One logged event as replayed by `resync`. */
export type LoggedEvent = { [K in EventType]: { type: K; payload: EventPayloads[K] } }[EventType];

export const SubscribeSchema = z.strictObject({
  regions: z.array(z.string().trim().min(1).max(64)).max(100).optional(),
  categories: z.array(z.string().trim().min(1).max(64)).max(100).optional(),
});
export type Subscribe = z.infer<typeof SubscribeSchema>;

export const ResyncSchema = z.strictObject({
  afterSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(10_000).optional(),
});
export type Resync = z.infer<typeof ResyncSchema>;

export interface ResyncResult {
  events: LoggedEvent[];
  lastSeq: number;
  more: boolean;
}

export interface ServerToClientEvents {
  'match:proposed': (p: EventPayloads['match:proposed']) => void;
  'match:updated': (p: EventPayloads['match:updated']) => void;
  'offer:updated': (p: EventPayloads['offer:updated']) => void;
  'demand:updated': (p: EventPayloads['demand:updated']) => void;
  'coverage:updated': (p: EventPayloads['coverage:updated']) => void;
  'certification:updated': (p: EventPayloads['certification:updated']) => void;
  'coordinator:scoped': (p: EventPayloads['coordinator:scoped']) => void;
}

export interface ClientToServerEvents {
  subscribe: (p: Subscribe, ack: (r: Ack<{ regions: string[]; categories: string[] }>) => void) => void;
  resync: (p: Resync, ack: (r: Ack<ResyncResult>) => void) => void;
}

export interface InterServerEvents {
  ping: () => void;
}

export interface SocketData {
  userId: string;
  role: 'supplier' | 'buyer' | 'coordinator' | 'admin';
  organizationId: string | null;
  filter: { regions: string[]; categories: string[] };
  /** The handshake token's id (a sign-out disconnects the sockets it opened) and expiry (ms). */
  tokenId?: string;
  expiresAt?: number;
}
