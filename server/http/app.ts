import fs from 'node:fs';
import path from 'node:path';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { z } from 'zod';
import { authRoutes } from '../auth/auth.routes';
import type { AuthService } from '../auth/auth.service';
import { catalogRoutes } from '../catalog/catalog.routes';
import type { Config } from '../config';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { matchingRoutes } from '../matching/matching.routes';
import type { MatchingService } from '../matching/matching.service';
import { metricsRoutes } from '../metrics/metrics.routes';
import type { CoverageService } from '../metrics/coverage.service';
import { postingsRoutes } from '../postings/postings.routes';
import type { PostingsService } from '../postings/postings.service';
import { authenticate } from './auth.middleware';
import { errorHandler, notFound } from './error.middleware';
import { idempotency } from './idempotency';
import { defineRoute } from './route';

export interface AppDeps {
  config: Config;
  log: Logger;
  auth: AuthService;
  postings: PostingsService;
  matching: MatchingService;
  coverage: CoverageService;
  /** Whether the database answers right now (kept by a monitor, so health and fail-fast never wait). */
  dbUp: () => boolean;
  /** The ledger's position and how far the projections have caught up (health). */
  ledgerStatus?: () => { seq: number; projected: number };
  /** The built browser client, served from the same origin when present. */
  clientDir?: string;
}

/** Builds the Express app; it does not listen (server/index.ts does). */
export function createApp(deps: AppDeps) {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], connectSrc: ["'self'", 'ws:', 'wss:'], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] },
      },
    }),
  );
  app.use('/api', (req, res, next) => {
    const origin = req.get('origin');
    if (origin && config.corsOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE');
      if (req.method === 'OPTIONS') return void res.status(204).end();
    } else if (origin && req.method === 'OPTIONS') {
      return next(AppError.forbidden('Origin not allowed'));
    }
    next();
  });
  app.use(express.json({ limit: config.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));

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
      res.status(503).json({ status: 'degraded', db: 'down' });
    },
  });
  api.use(health);

  // Fail fast while the database is down: no request waits for a server selection timeout.
  api.use((req, _res, next) => next(deps.dbUp() ? undefined : AppError.dbUnavailable()));
  api.use(authenticate(deps.auth));

  const authLimiter = rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitAuthPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError('rate_limited', 'Too many attempts; slow down', 429, { retryAfter: 60 })),
  });
  const writeLimiter = rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitWritePerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${req.auth?.userId ?? 'anon'}|${ipKeyGenerator(req.ip ?? '')}`,
    skip: (req) => req.method === 'GET',
    handler: (_req, _res, next) => next(new AppError('rate_limited', 'Too many requests; slow down', 429, { retryAfter: 60 })),
  });
  api.use(['/auth/login', '/auth/register'], authLimiter);
  api.use(['/offers', '/demands', '/matches'], writeLimiter);
  api.use(idempotency());

  api.use(authRoutes(registry, deps.auth, config.tokenTtlSeconds));
  api.use(catalogRoutes(registry));
  api.use(postingsRoutes(registry, deps.postings));
  api.use(matchingRoutes(registry, deps.matching, deps.postings));
  api.use(metricsRoutes(registry, deps.coverage));

  let document: unknown;
  const docRouter = Router();
  defineRoute(docRouter, registry, {
    method: 'get', path: '/openapi.json', tag: 'service', summary: 'This OpenAPI document, generated from the zod schemas',
    access: 'public', response: z.record(z.string(), z.unknown()),
    handler: () => {
      document ??= new OpenApiGeneratorV3(registry.definitions).generateDocument({
        openapi: '3.0.3',
        info: { title: 'Fuchan API', version: '0.1.0', description: 'Supply-demand matching for production resumption' },
        servers: [{ url: '/' }],
      });
      return document;
    },
  });
  // the document route is served before the DB check: it needs no database
  app.use('/api', docRouter);
  app.use('/api', api);
  app.use('/api', notFound);

  if (deps.clientDir && fs.existsSync(path.join(deps.clientDir, 'index.html'))) {
    const dir = deps.clientDir;
    app.use(express.static(dir, { index: false, maxAge: '1h' }));
    app.get(/^(?!\/api\/|\/socket\.io\/).*/, (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  }
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
