import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { ErrorResponseSchema } from '../../models/common.schema';
import { AppError } from '../errors';
import { checkAccess, type Access } from '../http/route';
import type { Kind } from './columns';
import { LIMITS, MIME, type Format } from './files';
import { assertMayImport, langOf, type TransferService } from './transfer.service';

const KindParams = z.strictObject({ kind: z.enum(['offers', 'demands']) });
const LangQuery = z.strictObject({ lang: z.enum(['en', 'zh']).optional().describe("the language of row errors; default from Accept-Language") });
const FileQuery = z.strictObject({
  format: z.enum(['csv', 'xlsx']).default('csv'),
  lang: z.enum(['en', 'zh']).optional().describe('the language of names and labels; default from Accept-Language'),
});

export const ImportResultSchema = z.object({
  kind: z.enum(['offers', 'demands']),
  created: z.number(),
  ids: z.array(z.string()),
  proposedUnits: z.number().describe('units proposed for the new postings at once'),
});

const fileContent = {
  'text/csv': { schema: { type: 'string' as const } },
  [MIME.xlsx]: { schema: { type: 'string' as const, format: 'binary' } },
};
const errorContent = { 'application/json': { schema: ErrorResponseSchema } };
const errors = (codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: { 400: 'Invalid input (an import: every refused row, `details: [{row, column, code, message}]`)', 401: 'Missing, invalid or expired token', 403: 'Wrong role', 404: 'Unknown path', 413: 'File too large or too many rows', 429: 'Too many requests', 503: 'Database unavailable' }[c] ?? 'Error', content: errorContent }]));

/** Sends a file as a download. */
function sendFile(res: Response, format: Format, name: string, body: Buffer) {
  res.setHeader('Content-Type', MIME[format]);
  res.setHeader('Content-Disposition', `attachment; filename="${name}.${format}"`);
  res.status(200).end(body);
}

/** Import of postings from CSV or .xlsx, templates, and exports of matches and coverage. */
export function transferRoutes(registry: OpenAPIRegistry, transfer: TransferService) {
  const r = Router();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: LIMITS.bytes, files: 1, fields: 5, parts: 6, fieldSize: 1024 } }).single('file');
  const guard = (access: Access) => (req: Request, _res: Response, next: NextFunction) => {
    checkAccess(access, req.auth, req.authInvalid);
    next();
  };

  registry.registerPath({
    method: 'post', path: '/api/import/{kind}', tags: ['transfer'],
    summary: 'Import offers (suppliers, for themselves) or demands (buyers, for themselves); coordinators for the organization each row names. All rows are stored, or none',
    security: [{ bearerAuth: [] }],
    request: {
      params: KindParams, query: LangQuery,
      body: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary', description: '.csv (UTF-8) or .xlsx, at most 2 MB and 500 rows' } }, required: ['file'] } } } },
    },
    responses: { 201: { description: 'Every row posted and matched', content: { 'application/json': { schema: ImportResultSchema } } }, ...errors([400, 401, 403, 413, 429, 503]) },
  });
  r.post('/import/:kind', guard(['supplier', 'buyer', 'coordinator', 'admin']), (req, _res, next) => {
    assertMayImport(req.auth!, KindParams.parse(req.params).kind);
    next();
  }, (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        return next(err.code === 'LIMIT_FILE_SIZE' ? new AppError('payload_too_large', `The file is larger than ${LIMITS.bytes / 1024 / 1024} MB`, 413) : AppError.badRequest(`Upload refused: ${err.message}`));
      }
      next(AppError.badRequest('The upload could not be read'));
    });
  }, async (req, res) => {
    const { kind } = KindParams.parse(req.params);
    const { lang } = LangQuery.parse({ ...(req.query as object) });
    if (!req.file) throw AppError.badRequest('Send the file as multipart/form-data in a field named "file"');
    const result = await transfer.importPostings(req.auth!, kind as Kind, req.file.buffer, langOf(lang, req.get('accept-language')));
    res.status(201).json(result);
  });

  registry.registerPath({
    method: 'get', path: '/api/templates/{kind}', tags: ['transfer'],
    summary: 'An empty import file for offers or demands, with a help sheet (xlsx) describing each column',
    security: [{ bearerAuth: [] }],
    request: { params: KindParams, query: FileQuery },
    responses: { 200: { description: 'The template', content: fileContent }, ...errors([400, 401, 404, 503]) },
  });
  r.get('/templates/:kind', guard('signed-in'), async (req, res) => {
    const { kind } = KindParams.parse(req.params);
    const q = FileQuery.parse({ ...(req.query as object) });
    const lang = langOf(q.lang, req.get('accept-language'));
    sendFile(res, q.format, `fuchan-${kind}-template`, await transfer.template(kind as Kind, q.format, lang));
  });

  registry.registerPath({
    method: 'get', path: '/api/export/matches', tags: ['transfer'],
    summary: "The matches the caller may see (its organization's; all for coordinators), as shaped for it, as CSV or xlsx",
    security: [{ bearerAuth: [] }],
    request: { query: FileQuery },
    responses: { 200: { description: 'The matches', content: fileContent }, ...errors([400, 401, 429, 503]) },
  });
  r.get('/export/matches', guard('signed-in'), async (req, res) => {
    const q = FileQuery.parse({ ...(req.query as object) });
    sendFile(res, q.format, 'fuchan-matches', await transfer.exportMatches(req.auth!, q.format, langOf(q.lang, req.get('accept-language'))));
  });

  registry.registerPath({
    method: 'get', path: '/api/export/coverage', tags: ['transfer'],
    summary: 'Coverage per product and delivery province, each in its own unit, as CSV or xlsx (coordinators)',
    security: [{ bearerAuth: [] }],
    request: { query: FileQuery },
    responses: { 200: { description: 'The coverage', content: fileContent }, ...errors([400, 401, 403, 429, 503]) },
  });
  r.get('/export/coverage', guard(['coordinator', 'admin']), async (req, res) => {
    const q = FileQuery.parse({ ...(req.query as object) });
    sendFile(res, q.format, 'fuchan-coverage', await transfer.exportCoverage(q.format, langOf(q.lang, req.get('accept-language'))));
  });
  return r;
}
