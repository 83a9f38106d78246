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

/** The token from `Authorization: Bearer` or, for the browser, the httpOnly cookie. */
export function tokenFrom(headers: { authorization?: string; cookie?: string }): string | null {
  const h = headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1] : '';
  }
  const cookie = headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return null;
}

/**
 * Sets `req.auth` from a valid token. An invalid or expired one leaves the request anonymous (a stale
 * cookie must not block signing in again); routes that need an account then answer 401.
 */
export function authenticate(auth: AuthService) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = tokenFrom(req.headers);
    if (token) {
      try {
        req.auth = auth.verify(token);
      } catch {
        req.authInvalid = true;
      }
    }
    next();
  };
}
