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
 * One revision of a versioned document. Its unique `_id` (`collection:docId:version`) is what makes a
 * compare-and-swap atomic on any MongoDB-wire server, FerretDB v1 included: two writers racing for the
 * same version cannot both insert it.
 */
const revisionSchema = new Schema(
  {
    _id: { type: String, required: true },
    coll: { type: String, required: true },
    docId: { type: String, required: true },
    version: { type: Number, required: true },
    state: { type: Schema.Types.Mixed, required: true },
    meta: { type: Schema.Types.Mixed, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
export const RevisionModel = mongoose.model('Revision', revisionSchema);

/** A remembered reply to a request sent with an `Idempotency-Key`. */
const idempotencySchema = new Schema(
  {
    _id: { type: String, required: true },
    state: { type: String, enum: ['pending', 'done'], required: true },
    status: { type: Number, default: null },
    body: { type: Schema.Types.Mixed, default: null },
    fingerprint: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
export const IdempotencyModel = mongoose.model('Idempotency', idempotencySchema);
