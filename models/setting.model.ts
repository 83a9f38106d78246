import mongoose, { Schema } from 'mongoose';

/** Small named values shared by every instance (e.g. the generated token-signing secret). */
const settingSchema = new Schema({ _id: { type: String, required: true }, value: { type: Schema.Types.Mixed, required: true } }, { versionKey: false });
export const SettingModel = mongoose.model('Setting', settingSchema);
