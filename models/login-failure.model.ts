import mongoose, { Schema } from 'mongoose';

/**
 * One sign-in attempt holding one of an account's slots in a lockout window: `pending` while its password
 * is being checked, `failed` after (a success deletes it).
 * `_id` is `userId:windowStart:slot`: claiming a slot is a plain insert of a unique `_id`, which is atomic
 * on every database we run on (filtered updates are not atomic on FerretDB), so parallel attempts can
 * never share a slot and the count per window is exact.
 */
const loginFailureSchema = new Schema(
  {
    _id: { type: String, required: true },
    user: { type: String, required: true },
    window: { type: Number, required: true },
    at: { type: Date, required: true },
    state: { type: String, enum: ['pending', 'failed'], required: true },
  },
  { versionKey: false },
);
loginFailureSchema.index({ user: 1, window: 1 });

export const LoginFailureModel = mongoose.model('LoginFailure', loginFailureSchema);
