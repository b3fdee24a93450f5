import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { LOCALES } from '../../core/i18n.js';
import { schemaVersion } from '../../db/migrate.js';
import { errorResponses } from '../../http/schemas.js';

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  schema: Type.Object({
    current: Type.Union([Type.String(), Type.Null()]),
    latest: Type.String(),
    pending: Type.Array(Type.String()),
  }),
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
          summary: 'The database answers and its schema is current',
          response: { 200: Ready, 503: Ready },
        },
        config: { access: 'public', rateLimit: false },
      },
      async (_request, reply) => {
        try {
          await sql`select 1`.execute(ctx.database.db);
          const schema = await schemaVersion(ctx.database.db);
          const ready = schema.pending.length === 0;
          return reply
            .status(ready ? 200 : 503)
            .send({ status: ready ? 'ready' : 'not_ready', database: 'up', schema });
        } catch (error) {
          ctx.logger.warn({ err: error }, 'readiness check failed');
          return reply.status(503).send({
            status: 'not_ready',
            database: 'down',
            schema: { current: null, latest: '', pending: [] },
          });
        }
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          produces: ['text/plain'],
          hide: false,
        },
        config: { access: 'public', rateLimit: false },
      },
      async (_request, reply) => {
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
