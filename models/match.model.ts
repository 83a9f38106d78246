import mongoose, { Schema, type Types } from 'mongoose';
import { MatchSchema, MatchStatusSchema } from './match.schema';
import type { Explanation, MatchStatus } from './match.schema';

const transitionSchema = new Schema(
  {
    status: { type: String, required: true },
    actorId: { type: String, default: null },
    actorRole: { type: String, required: true },
    at: { type: Date, required: true },
    note: { type: String },
  },
  { _id: false },
);

export interface MatchTransitionDoc {
  status: MatchStatus;
  actorId: string | null;
  actorRole: string;
  at: Date;
  note?: string;
}

/** A match as stored (lean). */
export interface MatchDoc {
  _id: Types.ObjectId;
  demand: Types.ObjectId;
  offer: Types.ObjectId;
  buyerOrg: Types.ObjectId;
  supplierOrg: Types.ObjectId;
  buyerOrgName: string;
  supplierOrgName: string;
  buyerOrgNameZh?: string;
  supplierOrgNameZh?: string;
  category: string;
  region: string;
  supplierRegion: string;
  deliveryRegion?: string;
  priority: string;
  units: number;
  score: number;
  explanation: Explanation;
  status: MatchStatus;
  source: 'incremental' | 'optimizer';
  buyerAcceptedAt: Date | null;
  supplierAcceptedAt: Date | null;
  history: MatchTransitionDoc[];
  line?: number;
  dueAt?: Date | null;
  expiresAt?: Date | null;
  lapsedBy?: 'buyer' | 'supplier' | 'both';
  version: number;
  seq?: number;
  createdAt: Date;
  updatedAt: Date;
}

const matchSchema = new Schema<MatchDoc>(
  {
    demand: { type: Schema.Types.ObjectId, ref: 'Demand', required: true, index: true },
    offer: { type: Schema.Types.ObjectId, ref: 'Offer', required: true, index: true },
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'Organization', required: true },
    supplierOrg: { type: Schema.Types.ObjectId, ref: 'Organization', required: true },
    buyerOrgName: { type: String, required: true },
    supplierOrgName: { type: String, required: true },
    buyerOrgNameZh: { type: String },
    supplierOrgNameZh: { type: String },
    deliveryRegion: { type: String },
    category: { type: String, required: true },
    region: { type: String, required: true },
    supplierRegion: { type: String, required: true },
    priority: { type: String, required: true },
    units: { type: Number, required: true },
    score: { type: Number, required: true },
    explanation: { type: Schema.Types.Mixed, required: true },
    status: { type: String, enum: MatchStatusSchema.options, required: true, index: true },
    source: { type: String, enum: MatchSchema.shape.source.options, default: 'incremental' },
    buyerAcceptedAt: { type: Date, default: null },
    supplierAcceptedAt: { type: Date, default: null },
    history: { type: [transitionSchema], default: [] },
    line: { type: Number },
    dueAt: { type: Date, default: null },
    expiresAt: { type: Date, default: null },
    lapsedBy: { type: String, enum: ['buyer', 'supplier', 'both'] },
    version: { type: Number, default: 0 },
    /** The Event log position this document reflects (it is a projection of the log). */
    seq: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);

export const MatchModel = mongoose.model<MatchDoc>('Match', matchSchema);
