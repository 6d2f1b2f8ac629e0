import { demoAnswer } from '../auth/auth.schemas.ts';
import { notFound } from '../errors.ts';
import { json } from '../http/answers.ts';
import { defineRoute } from '../http/routes.ts';
import { DEMO_PASSWORD, demoUsers } from './demo.service.ts';

export const demoRoutes = [
  defineRoute({
    method: 'get',
    path: '/demo',
    responses: { 200: json(demoAnswer) },
    tag: 'session',
    summary:
      'Where the demo accounts exist (embedded quick start or DEMO=true): the demo users and their shared password, for the sign-in page; 404 otherwise',
    access: { kind: 'public' },
    handle: async (ctx) => {
      if (!ctx.config.demo) throw notFound('route', 'there is no demo here');
      return { body: { password: DEMO_PASSWORD, users: demoUsers() } };
    },
  }),
];
