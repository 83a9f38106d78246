import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { catalog, CatalogSchema } from '../../models/catalog';
import { defineRoute } from '../http/route';

/** The product catalog: categories, capabilities, certifications and conversion rules. */
export function catalogRoutes(registry: OpenAPIRegistry) {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get', path: '/catalog', tag: 'catalog', summary: 'Product categories with the capabilities, certifications and conversion rules each needs',
    access: 'signed-in', response: CatalogSchema,
    handler: () => catalog,
  });
  return r;
}
