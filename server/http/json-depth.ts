import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors';

/** How deep a JSON body may nest: the contract's deepest body is a few levels; recursive code (JSON.stringify of
 * an idempotency fingerprint, zod, logging) overflows the stack at some thousands. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `max` (walked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Refuses a JSON body nested deeper than MAX_JSON_DEPTH with 400 (after express.json). */
export function jsonDepthLimit() {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.body !== null && typeof req.body === 'object' && nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
      return next(AppError.badRequest(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`));
    }
    next();
  };
}
