import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { OrganizationSchema } from './auth.schema';

const LatLng = { lat: { type: Number, required: true }, lng: { type: Number, required: true } };

const organizationSchema = new Schema(
  {
    name: { type: String, required: true },
    /** The name in Chinese, when it has one (the Chinese interface shows it). */
    nameZh: { type: String },
    kind: { type: String, enum: OrganizationSchema.shape.kind.options, required: true },
    region: { type: String, required: true, index: true },
    location: { type: LatLng, required: true, _id: false },
    certifications: { type: [String], default: [] },
    verified: { type: Boolean, default: false },
    /** Past outcomes, for the reliability part of the score. */
    stats: {
      confirmed: { type: Number, default: 0 },
      delivered: { type: Number, default: 0 },
      cancelled: { type: Number, default: 0 },
      /** Proposals the supplier let lapse without an answer. */
      lapsed: { type: Number, default: 0 },
    },
    /** The Event log position the stats count up to (written by the ledger's projector). */
    statsSeq: { type: Number, default: 0 },
    demoKey: { type: String, index: true, sparse: true },
  },
  { timestamps: true, versionKey: false },
);

export type OrganizationDoc = InferSchemaType<typeof organizationSchema> & { _id: mongoose.Types.ObjectId };
export const OrganizationModel = mongoose.model('Organization', organizationSchema);
