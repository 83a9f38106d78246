import mongoose, { Schema, type Types } from 'mongoose';
import { PrioritySchema } from './common.schema';
import { PostingStatusSchema } from './offer.schema';
import type { LatLng, Priority } from './common.schema';
import type { PostingStatus } from './offer.schema';

/** A demand as stored (lean). */
export interface DemandDoc {
  _id: Types.ObjectId;
  organization: Types.ObjectId;
  organizationName: string;
  region: string;
  category: string;
  quantity: number;
  deadline: Date;
  deliveryLocation: LatLng;
  requiredCertifications: string[];
  maxPricePerUnit: number | null;
  priority: Priority;
  confirmedUnits: number;
  deliveredUnits: number;
  status: PostingStatus;
  version: number;
  seq?: number;
  createdAt: Date;
  updatedAt: Date;
}

const LatLng = { lat: { type: Number, required: true }, lng: { type: Number, required: true } };

const demandSchema = new Schema<DemandDoc>(
  {
    organization: { type: Schema.Types.ObjectId, ref: 'Organization', required: true, index: true },
    organizationName: { type: String, required: true },
    region: { type: String, required: true },
    category: { type: String, required: true },
    quantity: { type: Number, required: true },
    deadline: { type: Date, required: true },
    deliveryLocation: { type: LatLng, required: true, _id: false },
    requiredCertifications: { type: [String], default: [] },
    maxPricePerUnit: { type: Number, default: null },
    priority: { type: String, enum: PrioritySchema.options, required: true },
    confirmedUnits: { type: Number, default: 0 },
    deliveredUnits: { type: Number, default: 0 },
    status: { type: String, enum: PostingStatusSchema.options, default: 'open', index: true },
    version: { type: Number, default: 0 },
    /** The Event log position this document reflects (it is a projection of the log). */
    seq: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);

export const DemandModel = mongoose.model<DemandDoc>('Demand', demandSchema);
