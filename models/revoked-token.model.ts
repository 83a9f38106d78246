import mongoose, { Schema } from 'mongoose';

/** A signed-out token (by its `jti`), kept until it would have expired anyway; every instance polls new ones. */
const revokedTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    user: { type: String, required: true },
    /** When the token expires (after that it is refused anyway and the entry can go). */
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
revokedTokenSchema.index({ revokedAt: 1 });

export const RevokedTokenModel = mongoose.model('RevokedToken', revokedTokenSchema);
