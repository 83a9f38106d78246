import fs from 'node:fs';
import path from 'node:path';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import crypto from 'node:crypto';
import cors from 'cors';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { ipKeyGenerator, rateLimit, type Options as RateLimitOptions } from 'express-rate-limit';
import { pinoHttp } from 'pino-http';
import helmet from 'helmet';
import { z } from 'zod';
import { authRoutes } from '../auth/auth.routes';
import type { AuthService } from '../auth/auth.service';
import { catalogRoutes } from '../catalog/catalog.routes';
import type { Config } from '../config';
import { AppError } from '../errors';
import { shapeMatch, shapeMatchList, type Viewer } from '../access/policy';
import { createLogger, pinoOf, type Logger } from '../logger';
import type { Match, NearMiss } from '../../models/match.schema';
import { matchingRoutes } from '../matching/matching.routes';
import type { MatchingService } from '../matching/matching.service';
import { metricsRoutes } from '../metrics/metrics.routes';
import type { CoverageService } from '../metrics/coverage.service';
import { postingsRoutes } from '../postings/postings.routes';
import { transferRoutes } from '../transfer/transfer.routes';
import { TransferService } from '../transfer/transfer.service';
import { trustRoutes } from '../trust/trust.routes';
import type { TrustService } from '../trust/trust.service';
import type { PostingsService } from '../postings/postings.service';
import { authenticate } from './auth.middleware';
import { errorHandler, notFound } from './error.middleware';
import { idempotency } from './idempotency';
import { jsonDepthLimit } from './json-depth';
import { methodNotAllowed } from './method-not-allowed';
import { rateLimitRedis, redisStore, type RedisCommander } from './rate-limit';
import { renderDocsPage } from './docs-page';
import { defineRoute } from './route';

export interface AppDeps {
  config: Config;
  log: Logger;
  auth: AuthService;
  postings: PostingsService;
  matching: MatchingService;
  coverage: CoverageService;
  /** Certifications, verification, profiles (server/trust); without it those routes are not served. */
  trust?: TrustService;
  /** Whether the database answers right now (kept by a monitor, so health and fail-fast never wait). */
  dbUp: () => boolean;
  /** The ledger's position and how far the projections have caught up (health). */
  ledgerStatus?: () => { seq: number; projected: number };
  /** The built browser client, served from the same origin when present. */
  clientDir?: string;
  /**
   * A connected Redis client for the rate limits (e.g. the Socket.IO adapter's publisher). Without it
   * and with `config.redisUrl`, the app opens its own (closed by `app.locals.close()`); without Redis
   * the limits count per instance in memory.
   */
  redis?: RedisCommander;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * The match routes' answers as the caller may see them (server/access/policy): the supplier side loses
 * the buyer's maximum price, a buyer's near misses lose competitors' names, ids and prices.
 */
function shapeMatchResponses(req: Request, res: Response, next: NextFunction) {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    const viewer: Viewer | undefined = req.auth;
    if (!viewer || res.statusCode >= 300 || !body || typeof body !== 'object') return json(body);
    const b = body as Partial<Match> & { items?: Match[]; nearMisses?: NearMiss[] };
    if (Array.isArray(b.items) && Array.isArray(b.nearMisses)) return json(shapeMatchList(viewer, b as { items: Match[]; nearMisses: NearMiss[] }));
    if (typeof b.buyerOrgId === 'string' && typeof b.supplierOrgId === 'string' && b.explanation) return json(shapeMatch(viewer, b as Match));
    return json(body);
  };
  next();
}

/** Builds the Express app; it does not listen (server/index.ts does). */
export function createApp(deps: AppDeps) {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // one JSON line per request, with an id (the caller's X-Request-Id when sane) echoed in the response
  app.use(
    pinoHttp({
      logger: pinoOf(deps.log) ?? (pinoOf(createLogger(config.logLevel)) as NonNullable<ReturnType<typeof pinoOf>>),
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // never the headers: they carry tokens and cookies
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/api/health' },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], connectSrc: ["'self'", 'ws:', 'wss:'], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] },
      },
    }),
  );
  app.use(
    '/api',
    cors({
      origin: config.corsOrigins,
      credentials: true,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    }),
  );
  app.use(express.json({ limit: config.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(jsonDepthLimit());

  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const api = Router();

  const health = Router();
  defineRoute(health, registry, {
    method: 'get', path: '/health', tag: 'service', summary: 'Liveness and database status (503 when the database is down)',
    access: 'public',
    response: z.object({
      status: z.string(),
      db: z.enum(['up', 'down']),
      ledger: z.object({ seq: z.number(), projected: z.number() }).optional().describe('Last Event log position applied, and the one the collections reflect'),
    }),
    handler: ({ res }) => {
      const up = deps.dbUp();
      if (up) return { status: 'ok', db: 'up', ...(deps.ledgerStatus ? { ledger: deps.ledgerStatus() } : {}) };
      res.setHeader('Retry-After', '2');
      // every non-2xx reply is an error reply (the contract and this route's 503 in the OpenAPI document)
      const { code, message } = AppError.dbUnavailable();
      res.status(503).json({ status: 'degraded', db: 'down', error: { code, message } });
    },
  });
  api.use(health);

  // Fail fast while the database is down: no request waits for a server selection timeout.
  api.use((req, _res, next) => next(deps.dbUp() ? undefined : AppError.dbUnavailable()));
  api.use(authenticate(deps.auth));

  // with Redis every instance counts the same hits; else each counts its own
  const redis = rateLimitRedis(config.redisUrl, deps.log, deps.redis);
  app.locals.close = redis.close;
  const limiter = (name: string, opts: Partial<RateLimitOptions> & { message: string }) =>
    rateLimit({
      windowMs: 60_000,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      store: redis.client ? redisStore(redis.client, `fuchan:rl:${name}:`) : undefined,
      // Redis down: serve rather than refuse everyone (the per-account login lockout still holds)
      passOnStoreError: !!redis.client,
      handler: (_req, _res, next, o) =>
        next(new AppError('rate_limited', opts.message, 429, { retryAfter: Math.ceil(o.windowMs / 1000) })),
      ...opts,
    });
  const perUser = (req: Request) => `${req.auth?.userId ?? 'anon'}|${ipKeyGenerator(req.ip ?? '')}`;
  const authLimiter = limiter('auth', { limit: config.rateLimitAuthPerMinute, message: 'Too many attempts; slow down' });
  // a registration tells whether an e-mail has an account (409): few per address and hour
  const registerLimiter = limiter('register', {
    windowMs: 3_600_000,
    limit: config.rateLimitRegisterPerHour,
    skip: (req) => req.method !== 'POST',
    message: 'Too many registrations from this address; try again later',
  });
  const writeLimiter = limiter('write', {
    limit: config.rateLimitWritePerMinute,
    keyGenerator: perUser,
    skip: (req) => req.method === 'GET',
    message: 'Too many requests; slow down',
  });
  // lists and match look-ups scan postings: bounded too, generously
  const readLimiter = limiter('read', {
    limit: config.rateLimitReadPerMinute,
    keyGenerator: perUser,
    skip: (req) => req.method !== 'GET',
    message: 'Too many requests; slow down',
  });
  api.use(['/auth/login', '/auth/register'], authLimiter);
  api.use('/auth/register', registerLimiter);
  api.use(['/offers', '/demands', '/matches', '/import', '/export', '/templates', '/certifications', '/evidence', '/coordinators', '/suppliers', '/trust'], writeLimiter);
  api.use(['/offers', '/demands', '/matches', '/import', '/export', '/templates', '/certifications', '/evidence', '/coordinators', '/suppliers', '/trust'], readLimiter);
  api.use(['/matches', '/offers/:id/matches', '/demands/:id/matches'], shapeMatchResponses);
  api.use(idempotency());

  api.use(authRoutes(registry, deps.auth, config.tokenTtlSeconds));
  api.use(catalogRoutes(registry));
  api.use(postingsRoutes(registry, deps.postings));
  api.use(matchingRoutes(registry, deps.matching, deps.postings));
  api.use(metricsRoutes(registry, deps.coverage));
  api.use(transferRoutes(registry, new TransferService(deps.postings.ledger, deps.coverage)));
  if (deps.trust) api.use(trustRoutes(registry, deps.trust, { evidenceMaxBytes: config.evidenceMaxBytes }));

  let document: unknown;
  const buildDocument = () =>
    (document ??= new OpenApiGeneratorV3(registry.definitions).generateDocument({
      openapi: '3.0.3',
      info: { title: 'Fuchan API', version: '0.1.0', description: 'Supply-demand matching for production resumption' },
      servers: [{ url: '/' }],
    }));
  const docRouter = Router();
  defineRoute(docRouter, registry, {
    method: 'get', path: '/openapi.json', tag: 'service', summary: 'This OpenAPI document, generated from the zod schemas',
    access: 'public', response: z.record(z.string(), z.unknown()),
    handler: () => buildDocument(),
  });
  registry.registerPath({
    method: 'get', path: '/api/docs', tags: ['service'], summary: 'This API reference as a browsable HTML page, rendered from the OpenAPI document', security: [],
    responses: { 200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
  let page: string | undefined;
  docRouter.get('/docs', (_req, res) => {
    page ??= renderDocsPage(buildDocument() as Record<string, unknown>);
    res.type('html').send(page);
  });
  // the document routes are served before the DB check: they need no database
  app.use('/api', docRouter);
  app.use('/api', api);
  app.use('/api', methodNotAllowed(registry), notFound);

  if (deps.clientDir && fs.existsSync(path.join(deps.clientDir, 'index.html'))) {
    const dir = deps.clientDir;
    app.use(express.static(dir, { index: false, maxAge: '1h' }));
    app.get(/^(?!\/api\/|\/socket\.io\/).*/, (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  }
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
