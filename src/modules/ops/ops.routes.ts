import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { AppError } from '../../core/errors.js';
import { LOCALES } from '../../core/i18n.js';
import { errorResponses } from '../../http/schemas.js';

/** Whether an Authorization header carries exactly this bearer token (compared in constant time). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  schema: Type.Object({
    current: Type.Union([Type.String(), Type.Null()]),
    latest: Type.String(),
    pending: Type.Array(Type.String()),
  }),
  writable: Type.Boolean({ description: 'The database took the probe write (a heartbeat row)' }),
  reason: Type.Optional(
    Type.String({ description: 'Why not ready: unreachable, cannot be written, schema behind' }),
  ),
});

const Meta = Type.Object({
  brandName: Type.String(),
  mode: Type.Union([Type.Literal('demo'), Type.Literal('production')]),
  locales: Type.Array(Type.String()),
  demoParts: Type.Array(Type.String(), {
    description: 'Demo-only parts in use (SM-DP+ emulator, test payments, dev mailbox)',
  }),
  operatorCountry: Type.String(),
});

export function opsRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { readiness } = ctx;
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          summary: 'The process is up',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
        config: { access: 'public', rateLimit: false },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'The database answers, takes a write and its schema is current',
          response: { 200: Ready, 503: Ready },
        },
        config: { access: 'public', rateLimit: false },
      },
      async (_request, reply) => {
        // Shutting down: not ready whatever the database says, so the balancer stops sending here
        // while requests already in flight finish (src/server.ts).
        if (ctx.lifecycle.draining) {
          const last = readiness.last();
          return reply.status(503).send({
            status: 'not_ready',
            database: last?.database ?? 'up',
            writable: last?.writable ?? false,
            schema: last?.schema ?? { current: null, latest: '', pending: [] },
            reason: 'shutting down',
          });
        }
        const { ready, ...body } = await readiness.check();
        return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', ...body });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          produces: ['text/plain'],
          description:
            'Open in demo mode. In production it needs `Authorization: Bearer <METRICS_TOKEN>` and is not served (404) without a configured token.',
          hide: false,
        },
        config: { access: 'public' },
      },
      async (request, reply) => {
        // Business volumes are not for the public: production serves them only to the scraper's token.
        if (ctx.config.mode === 'production') {
          const token = ctx.config.metricsToken;
          if (token === null) throw new AppError('NOT_FOUND');
          if (!bearerMatches(request.headers.authorization, token)) {
            reply.header('www-authenticate', 'Bearer realm="metrics"');
            throw new AppError('UNAUTHENTICATED');
          }
        }
        reply.header('content-type', ctx.metrics.registry.contentType);
        return ctx.metrics.registry.metrics();
      },
    );

    app.get(
      '/api/v1/meta',
      {
        schema: {
          tags: ['operations'],
          summary: 'What the web app needs before sign-in: brand, mode, languages',
          response: { 200: Meta, ...errorResponses(500) },
        },
        config: { access: 'public' },
      },
      async () => ({
        brandName: ctx.config.brandName,
        mode: ctx.config.mode,
        locales: LOCALES,
        demoParts: [...ctx.config.demoParts],
        operatorCountry: (await ctx.policies.get()).operatorCountry,
      }),
    );
  };
}
