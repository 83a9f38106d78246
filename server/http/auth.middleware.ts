import type { NextFunction, Request, Response } from 'express';
import type { AuthContext, AuthService } from '../auth/auth.service';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
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

/** Sets `req.auth` when a token is present; a present but invalid token is refused with 401. */
export function authenticate(auth: AuthService) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = tokenFrom(req.headers);
    if (token === null) return next();
    try {
      req.auth = auth.verify(token);
      next();
    } catch (err) {
      next(err);
    }
  };
}
