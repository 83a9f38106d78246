import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors';

/** How deep a JSON body may nest: the contract's deepest body is a few levels; recursive code (JSON.stringify of
 * an idempotency fingerprint, zod, logging) overflows the stack at some thousands. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `max` (walked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  return checkJson(value, max).tooDeep;
}

/**
 * Walks a parsed JSON value without recursion: whether it nests deeper than `max`, and the path of the first
 * string (or key) holding a NUL character, which the embedded database (FerretDB on PostgreSQL) cannot store.
 */
function checkJson(value: unknown, max: number): { tooDeep: boolean; nulAt: string | null } {
  const stack: [unknown, number, string][] = [[value, 0, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { tooDeep: false, nulAt: path || '(root)' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return { tooDeep: true, nulAt: null };
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [k, child] of entries) {
      const at = path ? `${path}.${k}` : k;
      if (k.includes('\u0000')) return { tooDeep: false, nulAt: at };
      if (typeof child === 'string' || (child !== null && typeof child === 'object')) stack.push([child, depth + 1, at]);
    }
  }
  return { tooDeep: false, nulAt: null };
}

/** Refuses a JSON body nested deeper than MAX_JSON_DEPTH, or holding a NUL character, with 400 (after express.json). */
export function jsonDepthLimit() {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.body === null || typeof req.body !== 'object') return next();
    const { tooDeep, nulAt } = checkJson(req.body, MAX_JSON_DEPTH);
    if (tooDeep) return next(AppError.badRequest(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`));
    if (nulAt) {
      return next(new AppError('validation_failed', 'Invalid input: text may not contain a NUL character', 400, [{ path: nulAt, message: 'contains a NUL character (U+0000)' }]));
    }
    next();
  };
}
