import type { Request, Response, Router } from 'express';
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';
import type { Role } from '../../models/common.schema';
import { ErrorResponseSchema } from '../../models/common.schema';
import type { AuthContext } from '../auth/auth.service';
import { AppError } from '../errors';

export type Access = 'public' | 'signed-in' | readonly Role[];

export interface HandlerInput<P, Q, B> {
  auth: AuthContext;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface RouteSpec<P extends ZodType, Q extends ZodType, B extends ZodType> {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Whether an empty body is allowed (POST actions with an optional note). */
  bodyOptional?: boolean;
  status?: number;
  response: ZodType;
  errors?: number[];
  headers?: ZodType;
  handler: (input: HandlerInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown> | unknown;
}

const errorText: Record<number, string> = {
  400: 'Invalid input, with per-field details',
  401: 'Missing, invalid or expired token',
  403: 'Wrong role or organization',
  404: 'Unknown id',
  409: 'Conflict (e.g. not enough units left)',
  413: 'Body too large',
  429: 'Too many requests',
  503: 'Database unavailable; retry after the Retry-After seconds',
};

/** Authorization for an already authenticated (or public) request. @throws AppError unauthorized/forbidden */
export function checkAccess(access: Access, auth: AuthContext | undefined, invalid = false): AuthContext {
  if (access === 'public') return auth ?? { userId: '', role: 'buyer', organizationId: null };
  if (!auth) throw AppError.unauthorized(invalid ? 'Invalid or expired token' : 'Authentication required');
  if (access === 'signed-in') return auth;
  if (!access.includes(auth.role)) throw AppError.forbidden(`This action is for ${access.join(' or ')} accounts`);
  return auth;
}

/**
 * Registers one route on the Express router and the same route, from the same zod schemas, in the
 * OpenAPI registry, so the document cannot drift from what is served.
 */
export function defineRoute<P extends ZodType, Q extends ZodType, B extends ZodType>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: RouteSpec<P, Q, B>,
) {
  const status = spec.status ?? 200;
  const openapiPath = `/api${spec.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
  const errors = new Set<number>([400, 503, ...(spec.errors ?? [])]);
  if (spec.access !== 'public') errors.add(401);
  if (Array.isArray(spec.access)) errors.add(403);
  if (spec.params) errors.add(404);
  const responses: RouteConfig['responses'] = {
    [status]: { description: 'Success', content: { 'application/json': { schema: spec.response } } },
  };
  for (const code of errors) {
    responses[code] = { description: errorText[code] ?? 'Error', content: { 'application/json': { schema: ErrorResponseSchema } } };
  }
  registry.registerPath({
    method: spec.method,
    path: openapiPath,
    summary: spec.summary,
    tags: [spec.tag],
    security: spec.access === 'public' ? [] : [{ bearerAuth: [] }],
    request: {
      params: spec.params as never,
      query: spec.query as never,
      headers: spec.headers as never,
      body: spec.body
        ? { required: !spec.bodyOptional, content: { 'application/json': { schema: spec.body } } }
        : undefined,
    },
    responses,
  });

  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const auth = checkAccess(spec.access, req.auth, req.authInvalid);
    const params = spec.params ? spec.params.parse(req.params) : {};
    const query = spec.query ? spec.query.parse({ ...(req.query as object) }) : {};
    let body: unknown = undefined;
    if (spec.body) {
      const raw = req.body === undefined || (spec.bodyOptional && isEmpty(req.body)) ? undefined : req.body;
      if (raw === undefined && !spec.bodyOptional) throw AppError.badRequest('A JSON body is required');
      body = spec.body.parse(raw);
    }
    const result = await spec.handler({ auth, params, query, body, req, res } as HandlerInput<z.infer<P>, z.infer<Q>, z.infer<B>>);
    if (!res.headersSent) res.status(status).json(result);
  });
}

function isEmpty(v: unknown) {
  return v === null || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
}
