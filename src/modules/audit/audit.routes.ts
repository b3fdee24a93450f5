import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { ListOf, PageQuery, pageOf } from '../../core/pagination.js';
import { ADMIN } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { AuditEntrySchema } from './audit.schemas.js';

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
            action: Type.Optional(
              Type.String({ maxLength: 64, description: 'An action, or a prefix ending in a dot (ticket.)' }),
            ),
            actor: Type.Optional(
              Type.String({
                maxLength: 254,
                description: 'Who did it: an account id or a staff email address',
              }),
            ),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            ...PageQuery,
          }),
          response: { 200: ListOf(AuditEntrySchema), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) =>
        ctx.audit.list({
          subject: request.query.subject,
          accountId: request.query.account,
          action: request.query.action,
          actor: request.query.actor,
          from: request.query.from && new Date(request.query.from).toISOString(),
          to: request.query.to && new Date(request.query.to).toISOString(),
          ...pageOf(request.query),
        }),
    );
  };
}
