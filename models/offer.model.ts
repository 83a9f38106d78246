import mongoose, { Schema, type Types } from 'mongoose';
import { PostingStatusSchema } from './offer.schema';
import type { LatLng } from './common.schema';
import type { PostingStatus } from './offer.schema';

/** An offer as stored (lean). */
export interface OfferDoc {
  _id: Types.ObjectId;
  organization: Types.ObjectId;
  organizationName: string;
  region: string;
  products: { category: string; unitsPerDay: number }[];
  capabilities: string[];
  certifications: string[];
  availableFrom: Date;
  availableTo: Date;
  location: LatLng;
  minOrderUnits: number;
  pricePerUnit: number | null;
  conversionLeadDays: number;
  totalUnits: number;
  reservedUnits: number;
  deliveredUnits: number;
  status: PostingStatus;
  version: number;
  seq?: number;
  createdAt: Date;
  updatedAt: Date;
}

const LatLng = { lat: { type: Number, required: true }, lng: { type: Number, required: true } };

const offerSchema = new Schema<OfferDoc>(
  {
    organization: { type: Schema.Types.ObjectId, ref: 'Organization', required: true, index: true },
    organizationName: { type: String, required: true },
    region: { type: String, required: true },
    products: {
      type: [{ category: { type: String, required: true }, unitsPerDay: { type: Number, required: true }, _id: false }],
      required: true,
    },
    capabilities: { type: [String], default: [] },
    certifications: { type: [String], default: [] },
    availableFrom: { type: Date, required: true },
    availableTo: { type: Date, required: true },
    location: { type: LatLng, required: true, _id: false },
    minOrderUnits: { type: Number, default: 1 },
    pricePerUnit: { type: Number, default: null },
    conversionLeadDays: { type: Number, default: 0 },
    totalUnits: { type: Number, required: true },
    reservedUnits: { type: Number, default: 0 },
    deliveredUnits: { type: Number, default: 0 },
    status: { type: String, enum: PostingStatusSchema.options, default: 'open', index: true },
    version: { type: Number, default: 0 },
    /** The Event log position this document reflects (it is a projection of the log). */
    seq: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);

export const OfferModel = mongoose.model<OfferDoc>('Offer', offerSchema);
