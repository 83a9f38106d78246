import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../errors';
import type { IdemKey } from '../ledger/ledger';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's `Idempotency-Key`, scoped to its user and path, with the body's fingerprint. */
    idempotency?: IdemKey;
  }
}

export const IdempotencyHeaderSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Retries with the same key within 24 hours return the first result and create nothing twice, also after a 5xx or a restart'),
});

/** A JSON value with every object's keys in order, so the same body with its keys in another order is the same retry (bodies nest 32 levels at most: json-depth). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, canonical(o[k])]));
}

/** How long a key is honoured. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/**
 * Reads `Idempotency-Key` on signed-in POSTs. The key travels inside the command to the ledger, which
 * logs it with the command's events: a retry (after a timeout, a 5xx or a crash) finds the committed result
 * in the ledger's state and gets it back, marked `Idempotent-Replay: true`; a retry with another body gets
 * 409. Routes that are not ledger commands ignore the key.
 */
export function idempotency() {
  return (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || !key || !req.auth) return next();
    if (key.length > 200) return next(AppError.badRequest('Idempotency-Key is too long (200 characters at most)'));
    // the route as Express matches it (case-insensitive, a trailing slash ignored), so every spelling of a retry finds the first
    const route = req.originalUrl.split('?')[0].toLowerCase().replace(/\/+$/, '');
    const scoped = `${req.auth.userId}:${route}:${key}`;
    const fingerprint = crypto.createHash('sha256').update(JSON.stringify(canonical(req.body ?? null))).digest('hex');
    const idem: IdemKey = { key: scoped, fingerprint };
    req.idempotency = idem;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (idem.replayed && !res.headersSent) res.setHeader('Idempotent-Replay', 'true');
      return json(body);
    };
    next();
  };
}
