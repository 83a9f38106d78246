import type { NextFunction, Request, Response } from 'express';
import type { AuthContext, AuthService } from '../auth/auth.service';
import { TOKEN_COOKIE, tokenFrom } from '../auth/token';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
    /** A token was sent but did not verify. */
    authInvalid?: boolean;
  }
}

export { TOKEN_COOKIE, tokenFrom };

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
