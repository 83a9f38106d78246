import mongoose from 'mongoose';
import { OrganizationModel } from '../../models/organization.model';
import { UserModel } from '../../models/user.model';
import { OfferModel } from '../../models/offer.model';
import { DemandModel } from '../../models/demand.model';
import { MatchModel } from '../../models/match.model';
import { EventModel, IdempotencyModel } from '../../models/event.model';
import { SettingModel } from '../../models/setting.model';
import { CertificationModel, CoordinatorScopeModel } from '../../models/certification.model';

export const allModels = [OrganizationModel, UserModel, OfferModel, DemandModel, MatchModel, EventModel, IdempotencyModel, SettingModel, CertificationModel, CoordinatorScopeModel];

/** Connects the shared Mongoose connection and builds the indexes the queries use. */
export async function connectDatabase(uri: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 3000;
  mongoose.set('strictQuery', true);
  await mongoose.connect(uri, {
    serverSelectionTimeoutMS: timeout,
    socketTimeoutMS: 60_000,
    heartbeatFrequencyMS: 1000,
    bufferCommands: false,
    autoIndex: false,
    maxPoolSize: 20,
  });
  await Promise.all(allModels.map((m) => m.createCollection().catch(() => undefined)));
  await Promise.all(allModels.map((m) => m.syncIndexes().catch(() => m.ensureIndexes())));
}

/** True when the database answers a ping within `timeoutMs`. */
export async function pingDatabase(timeoutMs = 1000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) return false;
  try {
    await Promise.race([
      db.command({ ping: 1 }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('ping timeout')), timeoutMs)),
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** Empties every collection (tests and the seed). */
export async function clearDatabase(): Promise<void> {
  await Promise.all(allModels.map((m) => m.collection.deleteMany({})));
  // evidence files (server/trust/evidence.ts: GridFS bucket `evidence`)
  const db = mongoose.connection.db;
  if (db) await Promise.all(['evidence.files', 'evidence.chunks'].map((c) => db.collection(c).deleteMany({})));
}
