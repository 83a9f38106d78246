import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AuthResponseSchema, LoginSchema, RegisterSchema, UserSchema } from '../../models/auth.schema';
import { AppError } from '../errors';
import { TOKEN_COOKIE } from './token';
import { defineRoute } from '../http/route';
import type { AuthService } from './auth.service';

/** The session cookie; `Secure` when the request came over HTTPS (`req.secure` honours TRUST_PROXY). */
function setCookie(req: Request, res: Response, token: string, maxAgeSeconds: number) {
  res.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, maxAge: maxAgeSeconds * 1000, path: '/' });
}

/** Registration, sign-in, the current user and sign-out. */
export function authRoutes(registry: OpenAPIRegistry, auth: AuthService, tokenTtlSeconds: number) {
  const r = Router();
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/register',
    tag: 'auth',
    summary: 'Register a supplier or buyer account with its organization',
    access: 'public',
    body: RegisterSchema,
    status: 201,
    response: AuthResponseSchema,
    errors: [409, 429],
    handler: async ({ body, req, res }) => {
      const out = await auth.register(body);
      setCookie(req, res, out.token, tokenTtlSeconds);
      return out;
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Sign in; wrong credentials and a locked account (too many failures) give the same 401',
    access: 'public',
    body: LoginSchema,
    response: AuthResponseSchema,
    errors: [401, 429],
    handler: async ({ body, req, res }) => {
      const out = await auth.login(body);
      setCookie(req, res, out.token, tokenTtlSeconds);
      return out;
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/auth/me',
    tag: 'auth',
    summary: 'The signed-in user and organization',
    access: 'signed-in',
    response: UserSchema,
    handler: ({ auth: ctx }) => auth.me(ctx),
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/auth/session',
    tag: 'auth',
    summary: 'The signed-in user, or null: lets a page ask whether it is signed in without a 401 (GET /auth/me still answers 401)',
    access: 'public',
    response: z.object({ user: UserSchema.nullable() }),
    handler: async ({ req }) => {
      if (!req.auth) return { user: null };
      try {
        return { user: await auth.me(req.auth) };
      } catch (err) {
        // the account behind a still-valid token is gone: not signed in
        if (err instanceof AppError && err.status === 401) return { user: null };
        throw err;
      }
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Sign out: the presented token is revoked (HTTP and sockets, every instance) and the cookie cleared',
    access: 'public',
    response: z.object({ ok: z.boolean() }),
    handler: async ({ req, res }) => {
      if (req.auth) await auth.revoke(req.auth);
      res.clearCookie(TOKEN_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.secure });
      return { ok: true };
    },
  });
  return r;
}
