import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { IdParamsSchema } from '../../models/common.schema';
import { MatchActionSchema, MatchListSchema, MatchPatchSchema, MatchSchema, OfferReasonsSchema } from '../../models/match.schema';
import { OptimizeSummarySchema } from '../../models/metrics.schema';
import { defineRoute } from '../http/route';
import { IdempotencyHeaderSchema } from '../http/idempotency';
import type { PostingsService } from '../postings/postings.service';
import type { MatchingService } from './matching.service';

/** Matches of a posting, the match lifecycle, and the global allocation. */
export function matchingRoutes(registry: OpenAPIRegistry, matching: MatchingService, postings: PostingsService) {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get', path: '/demands/:id/matches', tag: 'matches', summary: 'Matches of a demand with scores, explanations and near misses',
    access: ['buyer', 'coordinator', 'admin'], params: IdParamsSchema, response: MatchListSchema,
    handler: async ({ auth, params }) => {
      await postings.assertCanSeePosting(auth, 'demand', params.id);
      return matching.listFor({ demandId: params.id });
    },
  });
  defineRoute(r, registry, {
    method: 'get', path: '/offers/:id/matches', tag: 'matches', summary: 'Matches of an offer with scores and explanations',
    access: ['supplier', 'coordinator', 'admin'], params: IdParamsSchema, response: MatchListSchema,
    handler: async ({ auth, params }) => {
      await postings.assertCanSeePosting(auth, 'offer', params.id);
      return matching.listFor({ offerId: params.id });
    },
  });
  defineRoute(r, registry, {
    method: 'get', path: '/offers/:id/reasons', tag: 'matches',
    summary: 'Why an offer gets nothing or less than it could: structured reasons counted over the open demands it could serve (no buyer named, no buyer price)',
    access: ['supplier', 'coordinator', 'admin'], params: IdParamsSchema, response: OfferReasonsSchema,
    handler: async ({ auth, params }) => {
      await postings.assertCanSeePosting(auth, 'offer', params.id);
      return matching.offerReasons(params.id);
    },
  });
  defineRoute(r, registry, {
    method: 'get', path: '/matches/:id', tag: 'matches', summary: 'Read a match (either party or a coordinator)',
    access: 'signed-in', params: IdParamsSchema, response: MatchSchema,
    handler: ({ auth, params }) => matching.getMatch(params.id, auth),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/matches/:id/accept', tag: 'matches',
    summary: 'Accept a proposal; when both parties accepted it is confirmed and its units reserved atomically (409 if they are gone)',
    access: ['buyer', 'supplier', 'coordinator', 'admin'], params: IdParamsSchema, body: MatchActionSchema, bodyOptional: true,
    response: MatchSchema, headers: IdempotencyHeaderSchema, errors: [409],
    handler: ({ auth, params, body, req }) => matching.accept(params.id, auth, body?.note, req.idempotency),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/matches/:id/decline', tag: 'matches', summary: 'Decline a proposal; the demand is matched again',
    access: ['buyer', 'supplier', 'coordinator', 'admin'], params: IdParamsSchema, body: MatchActionSchema, bodyOptional: true,
    response: MatchSchema, headers: IdempotencyHeaderSchema, errors: [409],
    handler: ({ auth, params, body }) => matching.decline(params.id, auth, body?.note),
  });
  defineRoute(r, registry, {
    method: 'patch', path: '/matches/:id', tag: 'matches',
    summary: 'Later states: in_production and shipped (supplier), delivered (buyer), cancelled (either; releases units)',
    access: ['buyer', 'supplier', 'coordinator', 'admin'], params: IdParamsSchema, body: MatchPatchSchema, response: MatchSchema, errors: [409],
    handler: ({ auth, params, body }) => matching.transition(params.id, auth, body),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/allocations/optimize', tag: 'matches',
    summary: 'Run the exact global allocation over all open postings and replace stale proposals',
    access: ['coordinator', 'admin'], response: OptimizeSummarySchema,
    handler: () => matching.optimize(),
  });
  return r;
}
