import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { CoverageHistoryQuerySchema, CoverageHistorySchema, CoverageQuerySchema, CoverageSchema } from '../../models/metrics.schema';
import { defineRoute } from '../http/route';
import type { CoverageService } from './coverage.service';

/** Coverage for coordinators. */
export function metricsRoutes(registry: OpenAPIRegistry, coverage: CoverageService) {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get', path: '/metrics/coverage', tag: 'metrics',
    summary: 'Per category and region: demanded, proposed, confirmed, delivered and shortage units',
    access: ['coordinator', 'admin'], query: CoverageQuerySchema, response: CoverageSchema,
    handler: ({ query }) => coverage.get(query),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/metrics/coverage/history', tag: 'metrics',
    summary: 'Coverage over time from the Event log: per product and day, demanded, proposed, confirmed, delivered and short units (and CNY across products)',
    access: ['coordinator', 'admin'], query: CoverageHistoryQuerySchema, response: CoverageHistorySchema,
    handler: ({ query }) => coverage.history.get(query),
  });
  return r;
}
