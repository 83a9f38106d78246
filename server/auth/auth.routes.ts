import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AuthResponseSchema, LoginSchema, RegisterSchema, UserSchema } from '../../models/auth.schema';
import { TOKEN_COOKIE } from '../http/auth.middleware';
import { defineRoute } from '../http/route';
import type { AuthService } from './auth.service';

function setCookie(res: Response, token: string, maxAgeSeconds: number) {
  res.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', maxAge: maxAgeSeconds * 1000, path: '/' });
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
    handler: async ({ body, res }) => {
      const out = await auth.register(body);
      setCookie(res, out.token, tokenTtlSeconds);
      return out;
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Sign in; wrong credentials give 401, repeated failures lock the account for a while (429)',
    access: 'public',
    body: LoginSchema,
    response: AuthResponseSchema,
    errors: [401, 429],
    handler: async ({ body, res }) => {
      const out = await auth.login(body);
      setCookie(res, out.token, tokenTtlSeconds);
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
    method: 'post',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Clear the browser session cookie',
    access: 'public',
    response: z.object({ ok: z.boolean() }),
    handler: ({ res }) => {
      res.clearCookie(TOKEN_COOKIE, { path: '/' });
      return { ok: true };
    },
  });
  return r;
}
