import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { IdParamsSchema } from '../../models/common.schema';
import { DemandInputSchema, DemandListSchema, DemandPatchSchema, DemandSchema } from '../../models/demand.schema';
import {
  OfferInputSchema,
  OfferListSchema,
  OfferPatchSchema,
  LineScheduleListSchema,
  OfferSchema,
  PostingListQuerySchema,
} from '../../models/offer.schema';
import { defineRoute } from '../http/route';
import { IdempotencyHeaderSchema } from '../http/idempotency';
import type { PostingsService } from './postings.service';

/** Offers and demands. */
export function postingsRoutes(registry: OpenAPIRegistry, postings: PostingsService) {
  const r = Router();
  defineRoute(r, registry, {
    method: 'post', path: '/offers', tag: 'offers', summary: 'Post production capacity (matched at once)',
    access: ['supplier'], body: OfferInputSchema, status: 201, response: OfferSchema, headers: IdempotencyHeaderSchema, errors: [409, 413, 429],
    handler: ({ auth, body, req }) => postings.createOffer(auth, body, req.idempotency),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/offers', tag: 'offers', summary: 'List offers: suppliers see their own, coordinators all',
    access: 'signed-in', query: PostingListQuerySchema, response: OfferListSchema,
    handler: ({ auth, query }) => postings.listOffers(auth, query),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/offers/:id', tag: 'offers', summary: 'Read an offer (owner or coordinator)',
    access: ['supplier', 'coordinator', 'admin'], params: IdParamsSchema, response: OfferSchema,
    handler: ({ auth, params }) => postings.getOffer(auth, params.id),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/offers/:id/lines', tag: 'offers',
    summary: "Each production line's days: output committed to confirmed matches, proposed, and free (owner or coordinator)",
    access: ['supplier', 'coordinator', 'admin'], params: IdParamsSchema, response: LineScheduleListSchema,
    handler: ({ auth, params }) => postings.lineSchedules(auth, params.id),
  });
  defineRoute(r, registry, {
    method: 'patch', path: '/offers/:id', tag: 'offers', summary: 'Change an open offer (re-matched)',
    access: ['supplier'], params: IdParamsSchema, body: OfferPatchSchema, response: OfferSchema, errors: [409],
    handler: ({ auth, params, body }) => postings.updateOffer(auth, params.id, body),
  });
  defineRoute(r, registry, {
    method: 'delete', path: '/offers/:id', tag: 'offers', summary: 'Withdraw an offer; confirmed matches stay',
    access: ['supplier'], params: IdParamsSchema, response: OfferSchema,
    handler: ({ auth, params }) => postings.withdrawOffer(auth, params.id),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/demands', tag: 'demands', summary: 'Post a demand (matched at once)',
    access: ['buyer'], body: DemandInputSchema, status: 201, response: DemandSchema, headers: IdempotencyHeaderSchema, errors: [409, 413, 429],
    handler: ({ auth, body, req }) => postings.createDemand(auth, body, req.idempotency),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/demands', tag: 'demands', summary: 'List demands: buyers see their own, coordinators all',
    access: 'signed-in', query: PostingListQuerySchema, response: DemandListSchema,
    handler: ({ auth, query }) => postings.listDemands(auth, query),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/demands/:id', tag: 'demands', summary: 'Read a demand (owner or coordinator)',
    access: ['buyer', 'coordinator', 'admin'], params: IdParamsSchema, response: DemandSchema,
    handler: ({ auth, params }) => postings.getDemand(auth, params.id),
  });
  defineRoute(r, registry, {
    method: 'patch', path: '/demands/:id', tag: 'demands', summary: 'Change an open demand (re-matched)',
    access: ['buyer'], params: IdParamsSchema, body: DemandPatchSchema, response: DemandSchema, errors: [409],
    handler: ({ auth, params, body }) => postings.updateDemand(auth, params.id, body),
  });
  defineRoute(r, registry, {
    method: 'delete', path: '/demands/:id', tag: 'demands', summary: 'Withdraw a demand; confirmed matches stay',
    access: ['buyer'], params: IdParamsSchema, response: DemandSchema,
    handler: ({ auth, params }) => postings.withdrawDemand(auth, params.id),
  });
  return r;
}
