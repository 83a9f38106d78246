import mongoose, { Schema } from 'mongoose';

/**
 * Projections of the trust ledger state (server/trust): certification records by `<orgId>.<certification>`, and
 * coordinators' verification scopes by user id. Written by the projector; the ledger's state is the truth.
 */
const certificationSchema = new Schema(
  {
    _id: { type: String, required: true },
    organizationId: { type: String, required: true, index: true },
    certification: { type: String, required: true },
    decision: { type: String, required: true, index: true },
    region: { type: String, required: true },
    seq: { type: Number, default: 0 },
  },
  { strict: false, versionKey: false, timestamps: false },
);
export const CertificationModel = mongoose.model('Certification', certificationSchema);

const scopeSchema = new Schema(
  {
    _id: { type: String, required: true },
    regions: { type: [String], default: [] },
    sectors: { type: [String], default: [] },
    seq: { type: Number, default: 0 },
  },
  { strict: false, versionKey: false, timestamps: false },
);
export const CoordinatorScopeModel = mongoose.model('CoordinatorScope', scopeSchema);
