import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { ListOf, PageQuery } from '../../core/pagination.js';
import { ADMIN } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';

const AuditItem = Type.Object({
  id: Type.String(),
  actor: Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  action: Type.String(),
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  accountId: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export function auditRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/staff/audit',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'The audit trail, newest first',
          querystring: Type.Object({
            subject: Type.Optional(Type.String({ maxLength: 64 })),
            account: Type.Optional(Type.String({ maxLength: 64 })),
            action: Type.Optional(Type.String({ maxLength: 64 })),
            ...PageQuery,
          }),
          response: { 200: ListOf(AuditItem), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) =>
        ctx.audit.list(ctx.database.db, {
          subject: request.query.subject,
          accountId: request.query.account,
          action: request.query.action,
          cursor: request.query.cursor,
          limit: request.query.limit ?? 50,
        }),
    );
  };
}
