import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdapter } from '@socket.io/redis-adapter';
import mongoose from 'mongoose';
import { createClient } from 'redis';
import { OrganizationModel } from '../models/organization.model';
import { AuthService } from './auth/auth.service';
import { loadConfig, type Config } from './config';
import { connectDatabase, disconnectDatabase } from './db/database';
import { EmbeddedDbError, startEmbeddedDb, type EmbeddedDb } from './db/ferretdb';
import { startDbMonitor } from './db/monitor';
import { loadDemo, type DemoSummary } from './demo/demo.service';
import { createApp } from './http/app';
import { Ledger } from './ledger/ledger';
import { loadLedger, Projector } from './ledger/projector';
import { createLogger, type Logger } from './logger';
import { startExpirySweeper } from './matching/expiry';
import { MatchingService } from './matching/matching.service';
import { startCoverageScheduler } from './metrics/coverage.scheduler';
import { CoverageService } from './metrics/coverage.service';
import { PostingsService } from './postings/postings.service';
import { installProcessHandlers } from './process';
import { TrustService } from './trust/trust.service';
import { createRealtime, type FuchanIo } from './realtime/realtime';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Services {
  auth: AuthService;
  /** The ordered Event log and the state it commits to. */
  ledger: Ledger;
  /** The same ledger, as the realtime layer reads it. */
  eventLog: Ledger;
  projector: Projector;
  matching: MatchingService;
  postings: PostingsService;
  coverage: CoverageService;
  trust: TrustService;
  /** Loads the projections and replays the log after them (call once, after connecting). */
  open(): Promise<{ documents: number; replayed: number; ms: number }>;
}

/** The services over the connected database (also used by the seed and user commands). `now` is the clock. */
export function createServices(config: Config, opts: { now?: () => number } = {}): Services {
  const auth = new AuthService({
    jwtSecret: config.jwtSecret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    loginMaxFailures: config.loginMaxFailures,
    bcryptRounds: config.bcryptRounds,
  });
  const ledger = new Ledger({ now: opts.now });
  ledger.state.settings = { holdMs: config.holdMs, proposalTtlMs: config.proposalTtlMs };
  ledger.state.trustLimits = { ...config.trustLimits };
  const projector = new Projector(ledger);
  const matching = new MatchingService(ledger);
  const postings = new PostingsService(ledger);
  const coverage = new CoverageService(ledger);
  const trust = new TrustService(ledger, auth);
  const open = async () => {
    await auth.init();
    const loaded = await loadLedger(ledger, projector);
    coverage.rebuild();
    return loaded;
  };
  return { auth, ledger, eventLog: ledger, projector, matching, postings, coverage, trust, open };
}

/** Connects to MONGODB_URI or to the embedded FerretDB (built and started on first use). */
export async function openDatabase(config: Config, log: Logger): Promise<{ uri: string; embedded: EmbeddedDb | null; connected: boolean }> {
  let embedded: EmbeddedDb | null = null;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startEmbeddedDb({ dataDir: config.dataDir, cacheDir: config.cacheDir, backend: config.dbBackend, log: (m) => log.info(m) });
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

/** Starts the whole service: database, ledger, HTTP API, Socket.IO; resolves once it listens. */
export async function start(config: Config, log: Logger = createLogger(config.logLevel), opts: { now?: () => number } = {}): Promise<Running> {
  const { embedded, connected } = await openDatabase(config, log);
  const services = createServices(config, opts);
  const { auth, ledger, matching } = services;

  let demo: DemoSummary | null = null;
  const loaded = await services.open();
  log.info(`Ledger loaded: ${loaded.documents} documents, ${loaded.replayed} events replayed in ${loaded.ms} ms.`);
  if (config.demo && (await OrganizationModel.estimatedDocumentCount()) === 0) {
    log.info('Empty database: loading the demo scenario...');
    demo = await loadDemo({ auth, ledger }, { seed: config.demoSeed });
    log.info(`Demo loaded: ${demo.organizations} organizations, ${demo.offers} offers, ${demo.demands} demands, ${demo.proposals} proposals.`);
  }

  let redisClients: ReturnType<typeof createClient>[] = [];
  if (config.redisUrl) {
    const pub = createClient({ url: config.redisUrl });
    const sub = pub.duplicate();
    pub.on('error', (e) => log.warn(`redis: ${e.message}`));
    sub.on('error', (e) => log.warn(`redis: ${e.message}`));
    await Promise.all([pub.connect(), sub.connect()]);
    redisClients = [pub, sub];
    log.info('Socket.IO fans out through Redis.');
  }

  const monitor = startDbMonitor();
  const app = createApp({
    config,
    log,
    auth,
    postings: services.postings,
    matching,
    coverage: services.coverage,
    trust: services.trust,
    dbUp: monitor.up,
    ledgerStatus: () => ({ seq: ledger.lastSeq(), projected: services.projector.projectedSeq }),
    redis: redisClients[0] ? { sendCommand: (args: string[]) => redisClients[0].sendCommand(args) } : undefined,
    clientDir: path.resolve(here, '../client/dist'),
  });
  const server = http.createServer(app);
  const io = createRealtime(server, {
    auth,
    eventLog: ledger,
    log,
    corsOrigins: config.corsOrigins,
    coverage: () => services.coverage.get(),
    onCoordinatorConnected: () => coverageScheduler.due(),
    trust: services.trust,
  });
  if (redisClients.length) io.adapter(createAdapter(redisClients[0], redisClients[1]));

  const coverageScheduler = startCoverageScheduler(services.coverage, ledger, {
    coordinatorsConnected: () => (io.of('/').adapter.rooms.get('coordinators')?.size ?? 0) > 0,
  });
  const sweeper = startExpirySweeper(matching, { log, dbUp: monitor.up });
  const certSweeper = setInterval(() => {
    if (monitor.up()) void services.trust.expireStale().catch((err) => log.warn('certification expiry sweep failed', err));
  }, 60_000);
  certSweeper.unref();
  // other instances' commands reach this one's state through the log
  ledger.onError = (err) => log.warn('the Event log append failed; its commands were answered 503', err);
  // instances learn each other's commands by tailing the log (several instances run with REDIS_URL)
  if (config.ledgerTailMs > 0 || (config.ledgerTailMs < 0 && config.redisUrl)) ledger.startTailing(Math.abs(config.ledgerTailMs) || 100);
  services.projector.startHeartbeat();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      monitor.stop();
      sweeper.stop();
      clearInterval(certSweeper);
      coverageScheduler.stop();
      const closed = new Promise<void>((r) => server.close(() => r()));
      // bounded: connections still open after 10 s (e.g. browsers reconnecting over keep-alive) are cut
      const forced = setTimeout(() => server.closeAllConnections(), 10_000);
      // a connection whose request is still arriving counts as idle: give it a moment before closing idle ones
      await new Promise((r) => setTimeout(r, 300));
      // and let the event loop read what already arrived (a busy loop, e.g. hashing passwords, leaves requests unread)
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      server.closeIdleConnections();
      await new Promise<void>((r) => io.close(() => r()));
      await closed;
      clearTimeout(forced);
      // answered requests are durable already; what remains is projecting them (bounded: replay covers the rest)
      await ledger.close();
      await Promise.race([services.projector.idle(), new Promise((r) => setTimeout(r, 5000))]);
      services.projector.stop();
      await (app.locals.close as (() => Promise<void>) | undefined)?.().catch(() => undefined);
      // disconnect, not quit: with Redis gone, quit would wait for a reconnection that never comes
      await Promise.all(redisClients.map((c) => c.disconnect().catch(() => undefined)));
      if (connected) await disconnectDatabase().catch(() => undefined);
      await embedded?.stop();
    })());

  return { url, port, config, services, io, server, embedded, demo, dbUp: monitor.up, stop };
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
  installProcessHandlers(log, { stop: () => running.stop() });
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
