import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import { ListOf } from '../../../core/pagination.js';
import { callerOf } from '../../../http/caller.js';
import { STAFF } from '../../../http/roles.js';
import { errorResponses } from '../../../http/schemas.js';
import { Customer360, Id, Nullable } from '../backoffice.schemas.js';

const AGENTS = ['agent', 'admin'] as const;

/** Finding a customer, the customer 360, resending a notification. */
export function customerRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { customers } = ctx;
  return async (app) => {
    app.get(
      '/api/v1/staff/accounts',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'Find customers by email, phone or line number (MSISDN), ICCID, EID or account id',
          querystring: Type.Object({ q: Type.String({ minLength: 3, maxLength: 200 }) }),
          response: {
            200: ListOf(
              Type.Object({
                id: Type.String(),
                email: Nullable(Type.String()),
                phone: Nullable(Type.String()),
                status: Type.String(),
                locale: Type.String(),
                createdAt: Type.String({ format: 'date-time' }),
                matchedBy: Type.String(),
              }),
            ),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => customers.search(request.query.q),
    );

    app.get(
      '/api/v1/staff/accounts/:id',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary:
            'Customer 360: profile, balance and statement, lines, devices, usage, requests, tickets, messages, audit',
          params: Id,
          response: {
            200: Customer360,
            ...errorResponses(401, 403, 404),
          },
        },
      },
      async (request) => customers.view(request.params.id, callerOf(request)),
    );

    app.post(
      '/api/v1/staff/accounts/:id/messages/:messageId/resend',
      {
        config: { access: AGENTS },
        schema: {
          tags: ['staff'],
          summary: 'Send an earlier notification again (sign-in codes are never resent)',
          params: Type.Object({
            id: Type.String({ maxLength: 64 }),
            messageId: Type.String({ maxLength: 64 }),
          }),
          response: { 201: Type.Object({ id: Type.String() }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await customers.resend(request.params.id, request.params.messageId, callerOf(request))),
    );
  };
}
