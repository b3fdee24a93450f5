import fs from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { actorOf } from '../identity/identity.service.js';

const ExportStatus = Type.Object({
  id: Type.String(),
  status: Type.Enum(['pending', 'ready', 'failed']),
  createdAt: Type.String({ format: 'date-time' }),
  size: Type.Optional(Type.Integer()),
  downloadUrl: Type.Optional(Type.String({ description: 'Signed link, valid until expiresAt' })),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export function exportsRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/v1/me/exports',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['export'],
          summary:
            'Back up my data: a ZIP of profile, statement, calls, SMS, data records, devices and tickets',
          description:
            'One at a time: 409 EXPORT_IN_PROGRESS (details.id) while the previous one is pending. At most the exportsPerDay policy per 24 hours: 429 EXPORT_LIMIT_REACHED with details.retryAt.',
          response: {
            202: Type.Object({ id: Type.String(), status: Type.Literal('pending') }),
            ...errorResponses(401, 403, 409, 429),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return reply
          .status(202)
          .send(await ctx.exports.request(principal.accountId, actorOf(principal), request.id));
      },
    );

    app.get(
      '/api/v1/me/exports',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['export'],
          summary: 'My exports, newest first, each with a fresh signed link when ready',
          response: {
            200: Type.Object({ items: Type.Array(ExportStatus), nextCursor: Type.Null() }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => ctx.exports.list(principalOf(request).accountId),
    );

    app.get(
      '/api/v1/me/exports/:id',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['export'],
          summary: 'An export and, when ready, its signed download link',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: ExportStatus, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => ctx.exports.status(principalOf(request).accountId, request.params.id),
    );

    app.get(
      '/api/v1/exports/:id/download',
      {
        config: { access: 'public' },
        schema: {
          tags: ['export'],
          summary: 'Download an export archive through its signed, expiring link',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          querystring: Type.Object({
            expires: Type.Integer(),
            signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
          }),
          produces: ['application/zip'],
        },
      },
      async (request, reply) => {
        const file = await ctx.exports.file(
          request.params.id,
          request.query.expires,
          request.query.signature,
        );
        return reply
          .type('application/zip')
          .header('content-disposition', `attachment; filename="${file.name}"`)
          .header('cache-control', 'private, no-store')
          .send(fs.createReadStream(file.path));
      },
    );
  };
}
