import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { ErrorResponseSchema, IdParamsSchema } from '../../models/common.schema';
import {
  CertificationDetailsSchema,
  CertificationListSchema,
  CertificationParamsSchema,
  CertificationQueueQuerySchema,
  CertificationRecordParamsSchema,
  CertificationRecordSchema,
  CoordinatorCreateSchema,
  CoordinatorListSchema,
  CoordinatorSchema,
  CoordinatorScopeInputSchema,
  CoordinatorScopeSchema,
  EvidenceFieldsSchema,
  OrgCertificationsQuerySchema,
  RejectSchema,
  SupplierProfileSchema,
  TrustStatusSchema,
  VerifySchema,
} from '../../models/trust.schema';
import { AppError } from '../errors';
import { checkAccess, defineRoute } from '../http/route';
import type { TrustService } from './trust.service';

const BINARY = { type: 'string' as const, format: 'binary' };
const mb = (bytes: number) => `${Math.round((bytes / 1_048_576) * 10) / 10} MB`;

/** Certifications, their evidence and verification, coordinator scopes, supplier profiles, limits. */
export function trustRoutes(registry: OpenAPIRegistry, trust: TrustService, opts: { evidenceMaxBytes: number }) {
  const r = Router();

  defineRoute(r, registry, {
    method: 'get', path: '/certifications', tag: 'trust',
    summary: "An organization's certifications (records and ticked claims) with their state: your own; coordinators and admins may name any organization",
    access: 'signed-in', query: OrgCertificationsQuerySchema, response: CertificationListSchema, errors: [404],
    handler: ({ auth, query }) => trust.list(auth, query.organizationId),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/certifications/queue', tag: 'trust',
    summary: 'The verification queue: certifications in a state (submitted by default) within your scope, oldest first',
    access: ['coordinator', 'admin'], query: CertificationQueueQuerySchema,
    response: z.object({ items: z.array(CertificationRecordSchema), total: z.number().int(), scope: CoordinatorScopeSchema }),
    handler: ({ auth, query }) => trust.queue(auth, query.state, query.limit),
  });
  defineRoute(r, registry, {
    method: 'patch', path: '/certifications/mine/:certification', tag: 'trust',
    summary: "Set a certificate's number, issuer and validity (a verified one must be verified again)",
    access: ['supplier'], params: CertificationParamsSchema, body: CertificationDetailsSchema, response: CertificationRecordSchema,
    handler: ({ auth, params, body }) => trust.putDetails(auth, params.certification, body),
  });

  // multipart: the file in the field `file`, the details as optional fields
  const upload = multer({ storage: multer.memoryStorage(), defParamCharset: 'utf8', limits: { fileSize: opts.evidenceMaxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12 } });
  const receive = (req: Request, res: Response, next: NextFunction) =>
    upload.single('file')(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') return next(new AppError('payload_too_large', `The evidence file is larger than the ${mb(opts.evidenceMaxBytes)} allowed; scan at a lower resolution or send the certificate's pages that matter`, 413, { maxBytes: opts.evidenceMaxBytes }));
        return next(new AppError('validation_failed', `Invalid upload: ${err.message}${err.field ? ` (${err.field})` : ''}; send one file in the multipart field "file"`, 400, [{ path: err.field ?? 'file', message: err.message }]));
      }
      next(new AppError('validation_failed', 'Invalid multipart body; send one file in the multipart field "file"', 400, [{ path: 'file', message: 'malformed multipart body' }]));
    });
  r.post('/certifications/mine/:certification/evidence', (req, _res, next) => {
    try {
      checkAccess(['supplier'], req.auth, req.authInvalid);
      next();
    } catch (e) {
      next(e);
    }
  }, receive, async (req: Request, res: Response) => {
    const auth = checkAccess(['supplier'], req.auth, req.authInvalid);
    const { certification } = CertificationParamsSchema.parse(req.params);
    if (!req.file) throw new AppError('validation_failed', 'No file: send the evidence (PDF, PNG or JPEG) as multipart/form-data in the field "file"', 400, [{ path: 'file', message: 'required' }]);
    const fields = EvidenceFieldsSchema.parse({ ...(req.body ?? {}) });
    res.status(201).json(await trust.submitEvidence(auth, certification, req.file, fields));
  });
  const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorResponseSchema } } });
  registry.registerPath({
    method: 'post', path: '/api/certifications/mine/{certification}/evidence', tags: ['trust'],
    summary: `Upload evidence (PDF, PNG or JPEG, checked by content, at most ${mb(opts.evidenceMaxBytes)}) and submit the certification for verification`,
    security: [{ bearerAuth: [] }],
    request: {
      params: CertificationParamsSchema,
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['file'],
              properties: {
                file: { type: 'string', format: 'binary' },
                certificateNumber: { type: 'string' },
                issuer: { type: 'string' },
                validFrom: { type: 'string', format: 'date-time' },
                validUntil: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
    },
    responses: {
      201: { description: 'Submitted', content: { 'application/json': { schema: CertificationRecordSchema } } },
      400: err('No file, a missing detail, or a malformed body'),
      401: err('Missing, invalid or expired token'),
      403: err('Not a supplier account'),
      404: err('Unknown id'),
      413: err('File larger than the limit'),
      415: err('Not a PDF, PNG or JPEG by content'),
      503: err('Database unavailable'),
    },
  });

  defineRoute(r, registry, {
    method: 'get', path: '/certifications/:id', tag: 'trust',
    summary: 'One certification record: its organization, coordinators in scope and admins',
    access: 'signed-in', params: CertificationRecordParamsSchema, response: CertificationRecordSchema,
    handler: ({ auth, params }) => trust.get(auth, params.id),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/certifications/:id/verify', tag: 'trust',
    summary: 'Verify a submitted certification (coordinators within their scope, admins); matching counts it at once',
    access: ['coordinator', 'admin'], params: CertificationRecordParamsSchema, body: VerifySchema, bodyOptional: true, response: CertificationRecordSchema, errors: [409],
    handler: ({ auth, params, body }) => trust.verify(auth, params.id, body?.note),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/certifications/:id/reject', tag: 'trust',
    summary: 'Reject a submitted or verified certification with a reason (coordinators within their scope, admins)',
    access: ['coordinator', 'admin'], params: CertificationRecordParamsSchema, body: RejectSchema, response: CertificationRecordSchema, errors: [409],
    handler: ({ auth, params, body }) => trust.reject(auth, params.id, body.reason),
  });

  // the evidence file itself: binary, so served by hand and described by hand
  r.get('/evidence/:id', async (req: Request, res: Response) => {
    const auth = checkAccess('signed-in', req.auth, req.authInvalid);
    const { id } = IdParamsSchema.parse(req.params);
    const { file, stream } = await trust.evidence(auth, id);
    res.status(200);
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Length', String(file.length));
    res.setHeader('Content-Disposition', `inline; filename="${file.filename.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
      stream.pipe(res);
    });
  });
  registry.registerPath({
    method: 'get', path: '/api/evidence/{id}', tags: ['trust'],
    summary: 'Download an evidence file: its organization, coordinators in scope and admins (404 for anyone else)',
    security: [{ bearerAuth: [] }],
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The file', content: { 'application/pdf': { schema: BINARY }, 'image/png': { schema: BINARY }, 'image/jpeg': { schema: BINARY } } },
      400: err('Invalid id'),
      401: err('Missing, invalid or expired token'),
      404: err('No such file, or not yours to read'),
      503: err('Database unavailable'),
    },
  });

  defineRoute(r, registry, {
    method: 'get', path: '/coordinators', tag: 'trust', summary: 'Coordinator and admin accounts with their verification scopes (admins)',
    access: ['admin'], response: CoordinatorListSchema,
    handler: () => trust.coordinators(),
  });
  defineRoute(r, registry, {
    method: 'post', path: '/coordinators', tag: 'trust', summary: 'Create a coordinator account for regions (provinces) and/or sectors (admins)',
    access: ['admin'], body: CoordinatorCreateSchema, status: 201, response: CoordinatorSchema, errors: [409],
    handler: ({ auth, body }) => trust.createCoordinator(auth, body),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/coordinators/me', tag: 'trust', summary: 'Your verification scope (coordinators, admins)',
    access: ['coordinator', 'admin'], response: CoordinatorScopeSchema,
    handler: ({ auth }) => trust.scopeOf(auth.userId),
  });
  defineRoute(r, registry, {
    method: 'patch', path: '/coordinators/:id/scope', tag: 'trust', summary: "Set a coordinator's verification scope: regions (provinces) and sectors (admins)",
    access: ['admin'], params: IdParamsSchema, body: CoordinatorScopeInputSchema, response: CoordinatorScopeSchema,
    handler: ({ auth, params, body }) => trust.setScope(auth, params.id, body),
  });

  defineRoute(r, registry, {
    method: 'get', path: '/suppliers/:id/profile', tag: 'trust',
    summary: "A supplier's profile: verified certifications, lines, locations, record and reliability (the supplier, staff, and buyers it has a match with)",
    access: 'signed-in', params: IdParamsSchema, response: SupplierProfileSchema,
    handler: ({ auth, params }) => trust.profile(auth, params.id),
  });
  defineRoute(r, registry, {
    method: 'get', path: '/trust/status', tag: 'trust', summary: "Whether your organization is under the limits for the unverified, and how to lift them",
    access: ['supplier', 'buyer'], response: TrustStatusSchema,
    handler: ({ auth }) => trust.status(auth),
  });
  return r;
}
