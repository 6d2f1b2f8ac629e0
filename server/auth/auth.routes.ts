import { parseCookie } from 'cookie';
import { z } from 'zod';
import { empty, json } from '../http/answers.ts';
import {
  clearedSessionCookie,
  DEVICE_COOKIE,
  defineRoute,
  deviceCookie,
  sessionCookie,
} from '../http/routes.ts';
import { meAnswer, signedInAnswer } from './auth.schemas.ts';
import { describeUser, signIn, signOut } from './auth.service.ts';

export const authRoutes = [
  defineRoute({
    method: 'post',
    path: '/session',
    responses: { 200: json(signedInAnswer) },
    tag: 'session',
    summary: 'Sign in with email and password; answers the user, their accounts and a CSRF token',
    access: { kind: 'public' },
    body: z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) }).strict(),
    handle: async (ctx, { body }) => {
      const deviceSecret = parseCookie(ctx.req.headers.cookie ?? '')[DEVICE_COOKIE];
      const signedIn = await signIn(
        ctx.db,
        { ...body, ip: ctx.ip, userAgent: ctx.userAgent, deviceSecret },
        ctx.config.auth,
      );
      ctx.res.setHeader('set-cookie', [
        sessionCookie(signedIn.sessionSecret, ctx.config, signedIn.expiresAt),
        deviceCookie(signedIn.deviceSecret, ctx.config),
      ]);
      return { body: { ...signedIn.me, csrfToken: signedIn.csrfToken, expiresAt: signedIn.expiresAt } };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/session',
    responses: { 204: empty },
    tag: 'session',
    summary: 'Sign out: the session ends on the server, not only in the browser',
    access: { kind: 'signed_in' },
    handle: async (ctx) => {
      await signOut(ctx.db, ctx.principal!, ctx.ip);
      ctx.res.setHeader('set-cookie', clearedSessionCookie(ctx.config));
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/me',
    responses: { 200: json(meAnswer) },
    tag: 'session',
    summary: 'The signed-in user and their accounts with roles (for a token: its account and role)',
    access: { kind: 'signed_in' },
    handle: async (ctx) => {
      const principal = ctx.principal!;
      if (principal.kind === 'token') {
        return {
          body: {
            token: {
              id: principal.tokenId.toString(),
              accountId: principal.accountId.toString(),
              role: principal.role,
            },
          },
        };
      }
      return { body: { ...(await describeUser(ctx.db, principal.userId)), csrfToken: principal.csrfToken } };
    },
  }),
];
