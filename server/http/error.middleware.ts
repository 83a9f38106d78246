import type { NextFunction, Request, Response } from 'express';
import { AppError, toErrorResponse } from '../errors';
import type { Logger } from '../logger';

/** 404 for any route not served. */
export function notFound(req: Request, _res: Response, next: NextFunction) {
  next(new AppError('not_found', `No route ${req.method} ${req.path}`, 404));
}

/** The one error middleware: every non-2xx reply is `{error:{code,message,details?}}`. */
export function errorHandler(log: Logger) {
  // Express recognises error middleware by its four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    void _next;
    const { status, body, internal } = toErrorResponse(err);
    if (internal) log.error(`${req.method} ${req.originalUrl} failed (request ${String(req.id ?? '-')})`, err);
    if (status === 503) res.setHeader('Retry-After', '2');
    if (status === 429 && body.details && typeof body.details === 'object' && 'retryAfter' in body.details) {
      res.setHeader('Retry-After', String((body.details as { retryAfter: number }).retryAfter));
    }
    if (res.headersSent) return;
    res.status(status).json({ error: body });
  };
}
