import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { IdempotencyModel } from '../../models/event.model';
import { AppError } from '../errors';

export const IdempotencyHeaderSchema = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().describe('Retries with the same key return the first result and create nothing twice'),
});

const PENDING_TAKEOVER_MS = 60_000;

function isDuplicateKey(err: unknown) {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Honours `Idempotency-Key` on signed-in POSTs. The key is claimed by a unique insert (atomic on FerretDB
 * too), so of several racing retries exactly one runs; the others wait for its stored reply and get it.
 * A reply of 5xx is not remembered, so the client's next retry runs again.
 */
export function idempotency() {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || !key || !req.auth) return next();
    if (key.length > 200) return next(AppError.badRequest('Idempotency-Key is too long (200 characters at most)'));
    const id = `${req.auth.userId}:${req.originalUrl.split('?')[0]}:${key}`;
    const fingerprint = crypto.createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    try {
      for (let waited = 0; ; waited += 100) {
        try {
          await IdempotencyModel.create({ _id: id, state: 'pending', fingerprint, at: new Date() });
          break;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
        const prior = await IdempotencyModel.findById(id).lean();
        if (!prior) continue;
        if (prior.fingerprint !== fingerprint) {
          throw new AppError('conflict', 'This Idempotency-Key was used with a different request body', 409);
        }
        if (prior.state === 'done') {
          res.setHeader('Idempotent-Replay', 'true');
          res.status(prior.status ?? 200).json(prior.body);
          return;
        }
        if (Date.now() - new Date(prior.at).getTime() > PENDING_TAKEOVER_MS) {
          await IdempotencyModel.deleteOne({ _id: id, at: prior.at });
          continue;
        }
        if (waited > 30_000) throw AppError.conflict('A request with this Idempotency-Key is still in progress');
        await sleep(100);
      }
    } catch (err) {
      return next(err);
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const store =
        status < 500
          ? IdempotencyModel.updateOne({ _id: id }, { $set: { state: 'done', status, body } })
          : IdempotencyModel.deleteOne({ _id: id });
      store.then(
        () => json(body),
        () => json(body),
      );
      return res;
    };
    next();
  };
}
