import mongoose, { Schema } from 'mongoose';
import type { EventType } from './events';

/**
 * The append-only Event log. `seq` is the global, strictly increasing sequence number; `_id` is the same
 * number zero-padded to 12 digits, so ids sort like numbers and an `_id` look-up is served by an index on
 * FerretDB's SQLite backend too (it pushes down only string and ObjectId `_id` filters).
 */
const eventSchema = new Schema(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, required: true },
    at: { type: Date, required: true },
    /** Organizations whose members may see the event; empty: coordinators only. */
    orgIds: { type: [String], default: [] },
    region: { type: String, default: null },
    categories: { type: [String], default: [] },
    data: { type: Schema.Types.Mixed, required: true },
    /** The command the event belongs to; its last event has `last: true`. */
    cmd: { type: String },
    last: { type: Boolean },
    idem: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);

/** The `_id` of the event with sequence number `seq`. */
export const eventKey = (seq: number) => String(seq).padStart(12, '0');

export interface EventDoc {
  _id: string;
  seq: number;
  type: EventType;
  at: Date;
  orgIds: string[];
  region: string | null;
  categories: string[];
  data: Record<string, unknown>;
}
export const EventModel = mongoose.model('Event', eventSchema);

/**
 * An idempotency key a command carried (a projection of the log): a retry with the same key and body gets
 * the entity the first request made instead of making another.
 */
const idempotencySchema = new Schema(
  {
    _id: { type: String, required: true },
    fingerprint: { type: String, required: true },
    status: { type: Number, required: true },
    kind: { type: String, required: true },
    entityId: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
export const IdempotencyModel = mongoose.model('Idempotency', idempotencySchema);
