/**
 * Shared set-up for the benchmarks that work on the ledger directly (`match.ts`, `startup.ts`): a database
 * of their own (embedded FerretDB in a temporary folder, or a scratch database of MONGODB_URI), services
 * over it without HTTP, and bulk seeding through the ledger: organizations are inserted into their
 * collection (as accounts do) and made known with `ledger.rememberOrg`, postings go through a few big
 * commands (`emitOffer(tx, newOffer(...))`, `emitDemand(tx, newDemand(...))`), so the Event log, the state
 * and, once the projector is idle, the collections hold them exactly as if they had been posted.
 */
import mongoose from 'mongoose';
import type { DemandInput } from '../../models/demand.schema';
import type { OfferInput } from '../../models/offer.schema';
import { OrganizationModel } from '../../models/organization.model';
import { loadConfig, type Config } from '../../server/config';
import { disconnectDatabase } from '../../server/db/database';
import { createServices, openDatabase, type Services } from '../../server/index';
import type { OrgInfo } from '../../server/ledger/state';
import { createLogger } from '../../server/logger';
import { emitDemand, emitOffer } from '../../server/matching/matching.service';
import { newDemand, newOffer } from '../../server/postings/postings.service';
import type { ScenarioDemand, ScenarioOffer, ScenarioOrganization } from '../../server/demo/scenario';
import { backendName, benchEnv, onCleanup, scratchMongoUri, tempDir } from './common';

export interface BenchDb {
  config: Config;
  /** The database's connection string (for child processes). */
  uri: string;
  dataDir: string;
  /** Where the data lives, for the report. */
  description: string;
  usingMongoUri: boolean;
}

/** Connects to a fresh database (embedded FerretDB in a new temporary folder, or a scratch MONGODB_URI database). */
export async function openBenchDb(name: string): Promise<BenchDb> {
  const dataDir = tempDir(`fuchan-bench-${name}-`);
  const mongoUri = scratchMongoUri(name);
  const config = loadConfig(benchEnv(dataDir, { MONGODB_URI: mongoUri ?? undefined }));
  const { embedded, uri } = await openDatabase(config, createLogger('warn'));
  onCleanup('disconnect and stop the database', async () => {
    if (mongoUri) await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await disconnectDatabase().catch(() => undefined);
    await embedded?.stop();
  });
  return {
    config,
    uri,
    dataDir,
    description: mongoUri ? 'MONGODB_URI (a scratch database, dropped at the end)' : `embedded ${backendName(config.dbBackend)} in a fresh temporary folder`,
    usingMongoUri: !!mongoUri,
  };
}

/** Services over the connected database, opened (projections loaded, log replayed); closed at cleanup. */
export async function openServices(config: Config, label = 'services'): Promise<{ services: Services; loaded: { documents: number; replayed: number; ms: number } }> {
  const services = createServices(config);
  const loaded = await services.open();
  onCleanup(`close the ${label}`, () => closeServices(services));
  return { services, loaded };
}

/** Lets the ledger answer what is queued and the projector write it, then stops both. */
export async function closeServices(services: Services) {
  await services.ledger.close();
  await Promise.race([services.projector.idle(), new Promise((r) => setTimeout(r, 10_000))]);
  services.projector.stop();
}

function orgDoc(o: ScenarioOrganization, _id: mongoose.Types.ObjectId, at: Date) {
  return {
    _id,
    name: o.name,
    kind: o.role,
    region: o.region,
    location: o.location,
    certifications: o.certifications,
    verified: o.verified,
    stats: { confirmed: 0, delivered: 0, cancelled: 0 },
    createdAt: at,
    updatedAt: at,
  };
}

/** Inserts the organizations not yet known (batches of 5,000) and makes them known to the ledger. */
export async function seedOrgs(services: Services, orgs: ScenarioOrganization[], known: Map<string, OrgInfo>): Promise<number> {
  const fresh = orgs.filter((o) => !known.has(o.key));
  const at = new Date();
  for (let i = 0; i < fresh.length; i += 5000) {
    const docs = fresh.slice(i, i + 5000).map((o) => orgDoc(o, new mongoose.Types.ObjectId(), at));
    await OrganizationModel.collection.insertMany(docs as never[], { ordered: false });
    for (const [k, d] of docs.entries()) known.set(fresh[i + k].key, services.ledger.rememberOrg(d));
  }
  return fresh.length;
}

export const offerInput = (o: ScenarioOffer): OfferInput => {
  const { orgKey, ...rest } = o;
  void orgKey;
  return rest as unknown as OfferInput;
};

export const demandInput = (d: ScenarioDemand): DemandInput => {
  const { orgKey, ...rest } = d;
  void orgKey;
  return rest as unknown as DemandInput;
};

/**
 * Posts offers through the ledger, `batch` per command (each offer one `offer:updated` event, no matching:
 * the offers are the backdrop). Returns the commands' times (ms, submit to durable).
 */
export async function seedOffers(services: Services, offers: ScenarioOffer[], orgs: Map<string, OrgInfo>, batch = 5000): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < offers.length; i += batch) {
    const chunk = offers.slice(i, i + batch);
    const t = performance.now();
    await services.ledger.submit((tx) => {
      for (const o of chunk) emitOffer(tx, newOffer(tx, orgs.get(o.orgKey)!, offerInput(o)));
    });
    times.push(performance.now() - t);
  }
  return times;
}

/** Posts demands through the ledger, `batch` per command, without matching them. Returns the commands' times. */
export async function seedDemands(services: Services, demands: ScenarioDemand[], orgs: Map<string, OrgInfo>, batch = 5000): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < demands.length; i += batch) {
    const chunk = demands.slice(i, i + batch);
    const t = performance.now();
    await services.ledger.submit((tx) => {
      for (const d of chunk) emitDemand(tx, newDemand(tx, orgs.get(d.orgKey)!, demandInput(d)));
    });
    times.push(performance.now() - t);
  }
  return times;
}

/** A seeded shuffle (mulberry32), so every prefix of the offers is a fair sample. */
export function shuffled<T>(items: T[], s: number): T[] {
  let a = s >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
