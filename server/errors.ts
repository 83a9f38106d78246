import mongoose from 'mongoose';
import { ZodError } from 'zod';

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unverified_limit'
  | 'rate_limited'
  | 'db_unavailable'
  | 'method_not_allowed'
  | 'internal';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The one error type services throw; `status` is the HTTP status it maps to. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static badRequest(message: string, details?: unknown) {
    return new AppError('bad_request', message, 400, details);
  }
  static unauthorized(message = 'Authentication required') {
    return new AppError('unauthorized', message, 401);
  }
  static forbidden(message = 'Not allowed') {
    return new AppError('forbidden', message, 403);
  }
  static notFound(what = 'Resource') {
    return new AppError('not_found', `${what} not found`, 404);
  }
  static conflict(message: string, details?: unknown) {
    return new AppError('conflict', message, 409, details);
  }
  static dbUnavailable() {
    return new AppError('db_unavailable', 'The database is unavailable; retry shortly', 503);
  }
}

/** Per-field details from a ZodError: `[{path: "a.b", message}]`. */
export function zodDetails(error: ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message, code: i.code }));
}

function isDbConnectivityError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  return (
    name === 'MongoNetworkError' ||
    name === 'MongoServerSelectionError' ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoTopologyClosedError' ||
    name === 'MongoNetworkTimeoutError' ||
    name === 'MongooseServerSelectionError' ||
    (name === 'MongooseError' && /buffering timed out|before initial connection|Connection was force closed/i.test(err.message)) ||
    (name === 'MongoPoolClearedError')
  );
}

/** Maps anything thrown to a status and a public error body; unknown errors become a generic 500. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof AppError) {
    return { status: err.status, body: { code: err.code, message: err.message, details: err.details }, internal: false };
  }
  if (err instanceof ZodError) {
    return {
      status: 400,
      body: { code: 'validation_failed', message: 'Invalid input', details: zodDetails(err) },
      internal: false,
    };
  }
  if (err instanceof mongoose.Error.CastError) {
    return {
      status: 400,
      body: { code: 'validation_failed', message: `Invalid value for ${err.path}`, details: [{ path: err.path, message: 'invalid value' }] },
      internal: false,
    };
  }
  if (err instanceof mongoose.Error.ValidationError) {
    const details = Object.values(err.errors).map((e) => ({ path: e.path, message: e.message }));
    return { status: 400, body: { code: 'validation_failed', message: 'Invalid input', details }, internal: false };
  }
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000) {
    return { status: 409, body: { code: 'conflict', message: 'Already exists' }, internal: false };
  }
  if (isDbConnectivityError(err)) {
    return { status: 503, body: { code: 'db_unavailable', message: 'The database is unavailable; retry shortly' }, internal: false };
  }
  // body-parser errors carry a status and a type
  if (typeof err === 'object' && err !== null && 'type' in err && 'status' in err) {
    const e = err as { status: number; type: string; message: string };
    if (e.type === 'entity.too.large') {
      return { status: 413, body: { code: 'payload_too_large', message: 'Request body too large' }, internal: false };
    }
    if (e.type === 'entity.parse.failed') {
      return { status: 400, body: { code: 'bad_request', message: 'Malformed JSON body' }, internal: false };
    }
    if (e.status === 415) {
      return { status: 415, body: { code: 'unsupported_media_type', message: e.message }, internal: false };
    }
    if (e.status >= 400 && e.status < 500) {
      return { status: e.status, body: { code: 'bad_request', message: e.message }, internal: false };
    }
  }
  // what Express and body-parser reject without a type: a body that does not inflate as its Content-Encoding
  // says (zlib's error, status 400) and a path that is not valid percent-encoding (the router's URIError, 400)
  if (err instanceof Error && (err as { status?: unknown }).status === 400) {
    const zlib = /^Z_/.test(String((err as { code?: unknown }).code ?? ''));
    const message = err instanceof URIError
      ? 'The path is not valid percent-encoding'
      : zlib
        ? 'The body does not decode as its Content-Encoding says'
        : 'Bad request';
    return { status: 400, body: { code: 'bad_request', message }, internal: false };
  }
  return { status: 500, body: { code: 'internal', message: 'Internal server error' }, internal: true };
}
