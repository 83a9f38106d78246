import { parseCookie } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import type { AuthContext, AuthService } from '../auth/auth.service';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
    /** A token was sent but did not verify. */
    authInvalid?: boolean;
  }
}

export const TOKEN_COOKIE = 'fuchan_token';

/**
 * The token from `Authorization: Bearer` or, for the browser, the httpOnly cookie. Never throws: a
 * malformed header or cookie (e.g. `fuchan_token=%`) is whatever string it holds, which then fails
 * verification like any forged token; an empty result means no token.
 */
export function tokenFrom(headers: { authorization?: unknown; cookie?: unknown }): string | null {
  const h = headers.authorization;
  if (typeof h === 'string' && h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1] : '';
  }
  const cookie = headers.cookie;
  if (typeof cookie === 'string' && cookie) {
    try {
      // the cookie package decodes leniently (an invalid %-escape stays as it is) and ignores junk pairs
      const value = parseCookie(cookie)[TOKEN_COOKIE];
      return value ? value : null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Sets `req.auth` from a valid token. An invalid or expired one leaves the request anonymous (a stale
 * cookie must not block signing in again); routes that need an account then answer 401. A signed-out
 * (revoked) token is invalid.
 */
export function authenticate(auth: AuthService) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = tokenFrom(req.headers);
    if (token) {
      // other instances' sign-outs, read at most every few seconds; a database hiccup keeps the last copy
      await auth.refreshRevocationsIfStale().catch(() => undefined);
      try {
        req.auth = auth.verify(token);
      } catch {
        req.authInvalid = true;
      }
    }
    next();
  };
}
