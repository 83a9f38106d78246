import { parseCookie } from 'cookie';

/** The session cookie the browser carries the token in. */
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

