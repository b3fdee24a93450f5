import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { ListOf, PageQuery, pageOf } from '../../core/pagination.js';
import { IdParams as Id, Nullable } from '../../core/schemas.js';
import { callerOf } from '../../http/caller.js';
import { STAFF, SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { CATEGORIES, QUEUE_VIEWS, RELATED_TYPES } from './support.service.js';

const Ticket = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  subject: Type.String(),
  category: Type.Enum([...CATEGORIES]),
  status: Type.Enum(['open', 'waiting_on_customer', 'closed'], {
    description: 'open: waiting on support; waiting_on_customer: support answered',
  }),
  related: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
  firstResponseAt: Nullable(Type.String({ format: 'date-time' })),
  lastMessageAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  closedAt: Nullable(Type.String({ format: 'date-time' })),
});

const Message = Type.Object({
  id: Type.String(),
  author: Type.Enum(['subscriber', 'staff', 'system']),
  authorName: Nullable(Type.String()),
  body: Type.String(),
  internal: Type.Boolean({ description: 'A note between staff (never in the subscriber’s view)' }),
  createdAt: Type.String({ format: 'date-time' }),
});

const Thread = Type.Intersect([Ticket, Type.Object({ messages: Type.Array(Message) })]);
/** Staff also see who has the ticket (a subscriber sees "Support", never a staff member's id). */
const Assignee = Type.Object({ assigneeId: Nullable(Type.String()) });
const StaffThread = Type.Intersect([Thread, Assignee]);
const QueueItem = Type.Intersect([
  Ticket,
  Assignee,
  Type.Object({ customer: Type.Object({ email: Nullable(Type.String()), phone: Nullable(Type.String()) }) }),
]);
const Body = Type.String({ minLength: 1, maxLength: 5000 });

export function supportRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { support } = ctx;
  return async (app) => {
    app.post(
      '/api/v1/me/tickets',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['support'],
          summary: 'Contact support: open a ticket, optionally about a line, payment or cancellation request',
          description:
            'At most the ticketsPerDay policy per subscriber per 24 hours: 429 TICKET_LIMIT_REACHED with details.retryAt (replies to open tickets are not counted).',
          body: Type.Object({
            subject: Type.String({ minLength: 1, maxLength: 200 }),
            message: Body,
            category: Type.Optional(Type.Enum([...CATEGORIES])),
            related: Type.Optional(
              Type.Object({ type: Type.Enum([...RELATED_TYPES]), id: Type.String({ maxLength: 64 }) }),
            ),
          }),
          response: { 201: Thread, ...errorResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const ticket = await support.open(principalOf(request).accountId, request.body, callerOf(request));
        return reply.status(201).send(ticket);
      },
    );

    app.get(
      '/api/v1/me/tickets',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['support'],
          summary: 'My support tickets, newest first',
          querystring: Type.Object({ ...PageQuery }),
          response: { 200: ListOf(Ticket), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => support.listMine(principalOf(request).accountId, pageOf(request.query)),
    );

    app.get(
      '/api/v1/me/tickets/:id',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['support'],
          summary: 'One of my tickets with its conversation',
          params: Id,
          response: { 200: Thread, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => support.getMine(principalOf(request).accountId, request.params.id),
    );

    app.post(
      '/api/v1/me/tickets/:id/messages',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['support'],
          summary: 'Reply on my ticket (reopens it if it was closed)',
          params: Id,
          body: Type.Object({ message: Body }),
          response: { 201: Thread, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        const { id } = request.params;
        return reply
          .status(201)
          .send(await support.replyAsSubscriber(accountId, id, request.body.message, callerOf(request)));
      },
    );

    app.post(
      '/api/v1/me/tickets/:id/close',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['support'],
          summary: 'Close my ticket (my question is answered)',
          params: Id,
          response: { 200: Thread, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) =>
        support.closeMine(principalOf(request).accountId, request.params.id, callerOf(request)),
    );

    app.get(
      '/api/v1/staff/tickets',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'The ticket queue: unassigned, mine, waiting on the customer, open, closed or all',
          querystring: Type.Object({
            view: Type.Optional(Type.Enum([...QUEUE_VIEWS])),
            accountId: Type.Optional(Type.String({ maxLength: 64 })),
            ...PageQuery,
          }),
          response: { 200: ListOf(QueueItem), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) =>
        support.queue(principalOf(request).accountId, {
          view: request.query.view,
          accountId: request.query.accountId,
          ...pageOf(request.query),
        }),
    );

    app.get(
      '/api/v1/staff/tickets/:id',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'A ticket with its whole conversation, internal notes included',
          params: Id,
          response: { 200: StaffThread, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => support.getForStaff(request.params.id),
    );

    app.post(
      '/api/v1/staff/tickets/:id/messages',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'Answer the customer (they are notified), or add an internal note with internal: true',
          params: Id,
          body: Type.Object({ message: Body, internal: Type.Optional(Type.Boolean()) }),
          response: { 201: StaffThread, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await support.replyAsStaff(request.params.id, request.body, callerOf(request))),
    );

    app.patch(
      '/api/v1/staff/tickets/:id',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'Assign the ticket (null: unassign) or set its status',
          params: Id,
          body: Type.Object(
            {
              status: Type.Optional(Type.Enum(['open', 'waiting_on_customer', 'closed'])),
              assigneeId: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
            },
            { minProperties: 1 },
          ),
          response: { 200: StaffThread, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => support.update(request.params.id, request.body, callerOf(request)),
    );
  };
}
