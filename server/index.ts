import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdapter } from '@socket.io/redis-adapter';
import mongoose from 'mongoose';
import { createClient } from 'redis';
import { OrganizationModel } from '../models/organization.model';
import { AuthService } from './auth/auth.service';
import { loadConfig, type Config } from './config';
import { connectDatabase, disconnectDatabase, pingDatabase } from './db/database';
import { EmbeddedDbError, startEmbeddedDb, type EmbeddedDb } from './db/ferretdb';
import { loadDemo, type DemoSummary } from './demo/demo.service';
import { EventLog } from './events/event-log';
import { Publisher } from './events/publisher';
import { createApp } from './http/app';
import { createLogger, type Logger } from './logger';
import { MatchingService } from './matching/matching.service';
import { CoverageService } from './metrics/coverage.service';
import { PostingsService } from './postings/postings.service';
import { createRealtime, type FuchanIo } from './realtime/realtime';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Services {
  auth: AuthService;
  eventLog: EventLog;
  publisher: Publisher;
  matching: MatchingService;
  postings: PostingsService;
  coverage: CoverageService;
}

/** The services over the connected database (also used by the seed and user commands). */
export function createServices(config: Config): Services {
  const auth = new AuthService({
    jwtSecret: config.jwtSecret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    loginMaxFailures: config.loginMaxFailures,
    bcryptRounds: config.bcryptRounds,
  });
  const eventLog = new EventLog();
  const publisher = new Publisher(eventLog);
  const matching = new MatchingService(publisher);
  const postings = new PostingsService(matching, publisher);
  const coverage = new CoverageService();
  eventLog.onAppended((doc) => {
    if (doc.type !== 'coverage:updated') coverage.changed();
  });
  return { auth, eventLog, publisher, matching, postings, coverage };
}

/** Connects to MONGODB_URI or to the embedded FerretDB (built and started on first use). */
export async function openDatabase(config: Config, log: Logger): Promise<{ uri: string; embedded: EmbeddedDb | null; connected: boolean }> {
  let embedded: EmbeddedDb | null = null;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startEmbeddedDb({ dataDir: config.dataDir, cacheDir: config.cacheDir, log: (m) => log.info(m) });
    uri = embedded.uri;
  }
  if (mongoose.connection.readyState === 1) return { uri, embedded, connected: false };
  try {
    await connectDatabase(uri, { timeoutMs: config.dbTimeoutMs });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return { uri, embedded, connected: true };
}

export interface Running {
  url: string;
  port: number;
  config: Config;
  services: Services;
  io: FuchanIo;
  server: http.Server;
  embedded: EmbeddedDb | null;
  demo: DemoSummary | null;
  /** Whether the database monitor saw the database answer last time. */
  dbUp(): boolean;
  /** Graceful stop: refuse new connections, finish in-flight requests, close sockets, stop the embedded database. */
  stop(): Promise<void>;
}

/** Starts the whole service: database, services, HTTP API, Socket.IO; resolves once it listens. */
export async function start(config: Config, log: Logger = createLogger(config.logLevel)): Promise<Running> {
  const { embedded, connected } = await openDatabase(config, log);
  const services = createServices(config);
  const { auth, eventLog, matching, publisher } = services;
  await auth.init();
  await eventLog.init();

  let demo: DemoSummary | null = null;
  if (config.demo && (await OrganizationModel.estimatedDocumentCount()) === 0) {
    log.info('Empty database: loading the demo scenario...');
    demo = await loadDemo(services, { seed: config.demoSeed });
    log.info(`Demo loaded: ${demo.organizations} organizations, ${demo.offers} offers, ${demo.demands} demands, ${demo.proposals} proposals.`);
  } else {
    await matching.loadView();
  }

  // other instances' writes reach this instance's view through the log
  eventLog.onTail(async (doc) => {
    if (doc.type === 'coverage:updated') return;
    services.coverage.changed();
    scheduleCoverage();
    await matching.applyEvent(doc.type, doc.data);
  });

  // the database monitor: requests fail fast while it is down, and health says so
  let dbUp = true;
  const monitor = setInterval(async () => {
    dbUp = await pingDatabase(1000);
  }, 1000);
  monitor.unref();
  const onDisconnected = () => {
    dbUp = false;
  };
  mongoose.connection.on('disconnected', onDisconnected);

  const app = createApp({
    config,
    log,
    auth,
    postings: services.postings,
    matching,
    coverage: services.coverage,
    dbUp: () => dbUp,
    clientDir: path.resolve(here, '../client/dist'),
  });
  const server = http.createServer(app);
  const io = createRealtime(server, {
    auth,
    eventLog,
    log,
    corsOrigins: config.corsOrigins,
    onCoordinatorConnected: () => {
      if (coverageStale) scheduleCoverage();
    },
  });

  let redisClients: ReturnType<typeof createClient>[] = [];
  if (config.redisUrl) {
    const pub = createClient({ url: config.redisUrl });
    const sub = pub.duplicate();
    pub.on('error', (e) => log.warn(`redis: ${e.message}`));
    sub.on('error', (e) => log.warn(`redis: ${e.message}`));
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
    redisClients = [pub, sub];
    log.info('Socket.IO fans out through Redis.');
  }

  let stopping: Promise<void> | null = null;
  /** Changes happened while no coordinator was connected here. */
  let coverageStale = false;

  // coverage:updated, at most once a second, after anything that changes it
  let coverageTimer: NodeJS.Timeout | null = null;
  let coverageDirty = false;
  let coverageRun: Promise<unknown> = Promise.resolve();
  const flushCoverage = async () => {
    coverageDirty = false;
    try {
      coverageRun = services.coverage.get().then((c) => publisher.coverage(c));
      await coverageRun;
    } catch (err) {
      if (!stopping) log.warn('coverage update failed', err);
    }
    // the timer stays set while computing, so runs never overlap; changes meanwhile get one more run
    coverageTimer = coverageDirty ? setTimeout(() => void flushCoverage(), 1000) : null;
  };
  // only worth computing while a coordinator is connected here (each instance serves its own)
  const scheduleCoverage = () => {
    coverageStale = true;
    if (!(io.of('/').adapter.rooms.get('coordinators')?.size ?? 0)) return;
    coverageStale = false;
    coverageDirty = true;
    coverageTimer ??= setTimeout(() => void flushCoverage(), 1000);
  };
  eventLog.onAppended((doc) => {
    if (doc.type !== 'coverage:updated') scheduleCoverage();
  });

  eventLog.startTailing();

  const sweeper = setInterval(() => {
    if (dbUp) void matching.expireStale().catch((err) => log.warn('expiry sweep failed', err));
  }, 60_000);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;

  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(monitor);
      mongoose.connection.off('disconnected', onDisconnected);
      clearInterval(sweeper);
      if (coverageTimer) clearTimeout(coverageTimer);
      await coverageRun.catch(() => undefined);
      eventLog.stopTailing();
      const closed = new Promise<void>((r) => server.close(() => r()));
      // bounded: connections still open after 10 s (e.g. browsers reconnecting over keep-alive) are cut
      const forced = setTimeout(() => server.closeAllConnections(), 10_000);
      // a connection whose request is still arriving counts as idle: give it a moment before closing idle ones
      await new Promise((r) => setTimeout(r, 300));
      server.closeIdleConnections();
      await new Promise<void>((r) => io.close(() => r()));
      await closed;
      clearTimeout(forced);
      // disconnect, not quit: with Redis gone, quit would wait for a reconnection that never comes
      await Promise.all(redisClients.map((c) => c.disconnect().catch(() => undefined)));
      if (connected) await disconnectDatabase().catch(() => undefined);
      await embedded?.stop();
    })());

  return { url, port, config, services, io, server, embedded, demo, dbUp: () => dbUp, stop };
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  let running: Running;
  try {
    running = await start(config, log);
  } catch (err) {
    if (err instanceof EmbeddedDbError) console.error(`Cannot start the embedded database:\n${err.message}`);
    else console.error(`Cannot start Fuchan: ${(err as Error).message}`);
    process.exit(1);
  }
  log.info(`Fuchan is running at ${running.url}  (API: ${running.url}/api, OpenAPI: ${running.url}/api/openapi.json)`);
  if (running.demo) {
    log.info('Demo logins (password for all: ' + running.demo.logins[0].password + '):');
    for (const l of running.demo.logins) log.info(`  ${l.role.padEnd(11)} ${l.email}  (${l.organization})`);
  } else if (config.demo) {
    log.info('Demo logins: coordinator@demo.fuchan.cn, supplier@demo.fuchan.cn, buyer@demo.fuchan.cn, admin@demo.fuchan.cn (password fuchan-demo), unless the data was replaced.');
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    log.info(`${signal}: stopping...`);
    const timer = setTimeout(() => {
      log.error('Stop took longer than 20 s; exiting anyway.');
      process.exit(1);
    }, 20_000);
    timer.unref();
    running.stop().then(
      () => {
        log.info('Stopped.');
        process.exit(0);
      },
      (err) => {
        log.error('Stop failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}
