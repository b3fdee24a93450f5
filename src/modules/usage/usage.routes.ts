import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { AppError } from '../../core/errors.js';
import { ListOf, PageQuery } from '../../core/pagination.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { MAX_BATCH } from './usage.service.js';

const UsageItem = Type.Object({
  id: Type.String(),
  recordId: Type.String(),
  lineId: Type.String(),
  type: Type.Enum(['voice', 'sms', 'data']),
  startedAt: Type.String({ format: 'date-time' }),
  durationSeconds: Type.Union([Type.Integer(), Type.Null()]),
  bytes: Type.Union([Type.Integer(), Type.Null()]),
  counterpart: Type.Union([Type.String(), Type.Null()], { description: 'Partly masked' }),
  direction: Type.Union([Type.Enum(['in', 'out']), Type.Null()]),
  country: Type.String(),
  charge: Type.Ref('Money'),
});

export function usageRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/v1/usage/records',
      {
        config: { access: 'service', rateLimit: false },
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          tags: ['usage'],
          summary: `Usage records from mediation (service key), up to ${MAX_BATCH} per batch; each accepted, counted as a duplicate, or rejected with its index`,
          security: [{ bearer: [] }],
          body: Type.Object({ records: Type.Array(Type.Unknown()) }),
          response: {
            202: Type.Object({
              accepted: Type.Integer(),
              duplicates: Type.Integer(),
              rejected: Type.Array(
                Type.Object({
                  index: Type.Integer(),
                  code: Type.String(),
                  field: Type.Optional(Type.String()),
                }),
              ),
            }),
            ...errorResponses(400, 401, 413),
          },
        },
      },
      async (request, reply) => {
        if (request.body.records.length > MAX_BATCH)
          throw new AppError('PAYLOAD_TOO_LARGE', { field: 'records', maxItems: MAX_BATCH });
        return reply.status(202).send(await ctx.usage.ingest(request.body.records));
      },
    );

    app.get(
      '/api/v1/me/usage',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['usage'],
          summary: 'The subscriber’s calls, SMS and data sessions, newest first',
          querystring: Type.Object({
            type: Type.Optional(Type.Enum(['voice', 'sms', 'data'])),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            ...PageQuery,
          }),
          response: { 200: ListOf(UsageItem), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { type, from, to, cursor, limit } = request.query;
        return ctx.usage.list(principalOf(request).accountId, {
          type,
          from: from && new Date(from).toISOString(),
          to: to && new Date(to).toISOString(),
          cursor,
          limit: limit ?? 50,
        });
      },
    );
  };
}
