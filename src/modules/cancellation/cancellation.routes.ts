import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { IdParams as Id, Nullable } from '../../core/schemas.js';
import { CancellationStatusSchema } from '../../core/statuses.js';
import { callerOf } from '../../http/caller.js';
import { REVIEWERS, SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { RecordedChecks } from './cancellation.schemas.js';
import { REASON_CODES } from './cancellation.service.js';

export function cancellationRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/me/cancellation/eligibility',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['cancellation'],
          summary:
            'Preflight: every condition that stops the account from being closed, with where to fix it',
          response: {
            200: Type.Object({
              eligible: Type.Boolean(),
              blockers: Type.Array(
                Type.Object({
                  code: Type.String(),
                  message: Type.String(),
                  fixAt: Type.String(),
                  details: Type.Object({}, { additionalProperties: true }),
                }),
              ),
            }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => ctx.eligibility.check(principalOf(request).accountId, request.locale),
    );
  };
}

/** What the subscriber said and when the answer is due: the subscriber's and the staff's views alike. */
const Submission = {
  reasonCode: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  submittedAt: Type.String({ format: 'date-time' }),
  dueBy: Type.String({ format: 'date-time' }),
};

const RequestView = Type.Object({
  id: Type.String(),
  status: CancellationStatusSchema,
  ...Submission,
  events: Type.Array(
    Type.Object({
      status: Type.String(),
      at: Type.String({ format: 'date-time' }),
      note: Nullable(Type.String()),
      actor: Type.String(),
    }),
  ),
});

const StaffView = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  status: Type.String(),
  ...Submission,
  overdue: Type.Boolean(),
  checks: RecordedChecks,
  version: Type.Integer({
    description: 'Send it back with the decision: a stale version is refused with REQUEST_CHANGED',
  }),
});

/** A queue item: the request with the facts a reviewer decides on. */
const QueueItem = Type.Intersect([
  StaffView,
  Type.Object({
    customer: Type.Object({
      contact: Nullable(Type.String({ description: 'Email address or phone number, masked' })),
      status: Type.String(),
      createdAt: Type.String({ format: 'date-time', description: 'Customer since' }),
      lines: Type.Array(
        Type.Object({
          id: Type.String(),
          msisdn: Type.String(),
          status: Type.String(),
          planName: Type.String(),
          expiresAt: Nullable(Type.String({ format: 'date-time' })),
        }),
      ),
    }),
    events: Type.Array(
      Type.Object({
        status: Type.String(),
        at: Type.String({ format: 'date-time' }),
        note: Nullable(Type.String({ description: "A reviewer's note or the subscriber's answer" })),
        actor: Type.String(),
        actorEmail: Nullable(Type.String({ description: 'The staff member, by email address' })),
      }),
    ),
    checksNow: Type.Object(
      {
        eligible: Type.Boolean(),
        blockers: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
      },
      { description: "The automatic checks run again now, in the reviewer's language" },
    ),
  }),
]);

const Decided = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  contact: Nullable(Type.String()),
  decision: Type.Enum(['approved', 'info_requested', 'rejected']),
  status: Type.String({ description: 'Where the request is now' }),
  note: Nullable(Type.String()),
  decidedAt: Type.String({ format: 'date-time' }),
  decidedBy: Type.Object({ type: Type.String(), email: Nullable(Type.String()) }),
});

export function cancellationRequestRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { cancellation } = ctx;
  return async (app) => {
    app.post(
      '/api/v1/me/cancellation',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['cancellation'],
          summary: 'Apply to close the account (注销账户), with an optional reason',
          body: Type.Object({
            reasonCode: Type.Optional(Type.Enum([...REASON_CODES])),
            reason: Type.Optional(Type.String({ maxLength: 2000 })),
          }),
          response: { 201: RequestView, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const submitted = await cancellation.submit(
          principalOf(request).accountId,
          request.body,
          callerOf(request),
        );
        return reply.status(201).send(submitted);
      },
    );

    app.get(
      '/api/v1/me/cancellation',
      {
        config: { access: SUBSCRIBER, allowDeregistered: true },
        schema: {
          tags: ['cancellation'],
          summary: 'The latest request with its timeline',
          response: { 200: RequestView, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => cancellation.latest(principalOf(request).accountId),
    );

    app.post(
      '/api/v1/me/cancellation/:id/resubmit',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['cancellation'],
          summary: 'Answer a request for information (info_requested → in_review)',
          params: Id,
          body: Type.Object({ info: Type.String({ minLength: 1, maxLength: 2000 }) }),
          response: { 200: RequestView, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        cancellation.resubmit(
          principalOf(request).accountId,
          request.params.id,
          request.body.info,
          callerOf(request),
        ),
    );

    app.post(
      '/api/v1/me/cancellation/:id/withdraw',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['cancellation'],
          summary: 'Withdraw the request; the account is active again',
          params: Id,
          response: { 200: RequestView, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) =>
        cancellation.withdraw(principalOf(request).accountId, request.params.id, callerOf(request)),
    );

    app.get(
      '/api/v1/staff/cancellations',
      {
        config: { access: REVIEWERS },
        schema: {
          tags: ['staff'],
          summary: 'The review queue, by due date, with checks and overdue flags',
          querystring: Type.Object({
            status: Type.Optional(CancellationStatusSchema),
          }),
          response: {
            200: Type.Object({ items: Type.Array(QueueItem), nextCursor: Type.Null() }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: await cancellation.queue(request.query.status, callerOf(request)),
        nextCursor: null,
      }),
    );

    app.get(
      '/api/v1/staff/cancellations/decided',
      {
        config: { access: REVIEWERS },
        schema: {
          tags: ['staff'],
          summary: 'Recently decided: the latest approvals, requests for information and rejections',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
          response: {
            200: Type.Object({ items: Type.Array(Decided) }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => ({ items: await cancellation.recentDecisions(request.query.limit ?? 20) }),
    );

    app.post(
      '/api/v1/staff/cancellations/:id/decision',
      {
        config: { access: REVIEWERS },
        schema: {
          tags: ['staff'],
          summary: 'Approve (re-runs the checks), ask for information, or reject (note required)',
          params: Id,
          body: Type.Object({
            decision: Type.Enum(['approve', 'request_info', 'reject']),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
            version: Type.Optional(Type.Integer()),
          }),
          response: { 200: StaffView, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => cancellation.decide(request.params.id, request.body, callerOf(request)),
    );
  };
}
