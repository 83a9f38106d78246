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

/**
 * True when the database answers a ping within `timeoutMs` of time the event loop was free to read the
 * reply. The process's own stalls are never taken for the database's silence (the ledger plans a batch of
 * commands in one synchronous stretch: 0.6–1.2 s for 30–44 demands at 64 clients in bench:load):
 *
 * - no gate on `mongoose.connection.readyState`: mongoose reports 0 (disconnected) whenever the driver's
 *   last successful heartbeat is older than two heartbeat intervals (2 s here), a check meant for frozen
 *   serverless containers, and stalls delay the heartbeat timer (gaps of 1.5–2.6 s measured for hellos
 *   answered in 4–41 ms), so the monitor answered 503 for a second without even pinging. A database
 *   really gone fails the ping (or the driver says `disconnected`, which the monitor listens to).
 * - no wall-clock race: a reply sent within milliseconds sits unread in the socket during a stall longer
 *   than the timeout, and libuv runs expired timers before it polls the socket again. The wait is counted
 *   in steps of a tenth of the timeout, a late step counting as at most two, and once the budget is spent
 *   the loop is let through one more I/O poll (setImmediate runs after it) so a reply already received
 *   is read first.
 */
export async function pingDatabase(timeoutMs = 1000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db) return false;
  let answered: boolean | null = null;
  const ping = db.command({ ping: 1 }).then(
    () => (answered = true),
    () => (answered = false),
  );
  const step = Math.max(10, timeoutMs / 10);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    let spent = 0;
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      spent += Math.min(now - last, 2 * step);
      last = now;
      if (spent >= timeoutMs) setImmediate(() => resolve(answered ?? false));
      else timer = setTimeout(tick, step);
    };
    timer = setTimeout(tick, step);
  });
  try {
    return await Promise.race([ping, timedOut]);
  } finally {
    clearTimeout(timer);
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
