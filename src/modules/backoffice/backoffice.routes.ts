import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { ListOf, PageQuery } from '../../core/pagination.js';
import { ADMIN, STAFF } from '../../http/roles.js';
import { errorResponses, IdempotencyHeader } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { actorOf } from '../identity/identity.service.js';
import { PolicyPatch, PolicySchema } from '../policies/policies.service.js';

const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AGENTS = ['agent', 'admin'] as const;

const Adjustment = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  kind: Type.Enum(['goodwill', 'write_off', 'arrears_waiver'], {
    description:
      'goodwill credits the balance; write_off debits it; arrears_waiver cancels what a closing account owes',
  }),
  amount: Type.Ref('Money'),
  reason: Type.String(),
  status: Type.Enum(['pending_approval', 'posted', 'rejected']),
  requestedBy: Type.String(),
  decidedBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  decidedAt: Nullable(Type.String({ format: 'date-time' })),
});

const StaffMember = Type.Object({
  id: Type.String(),
  email: Nullable(Type.String()),
  role: Type.Enum(['agent', 'reviewer', 'admin']),
  locale: Type.String(),
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

const Job = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  runAt: Type.String({ format: 'date-time' }),
  lastError: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});

const Spread = Type.Object({
  median: Nullable(Type.Number()),
  p90: Nullable(Type.Number()),
  max: Nullable(Type.Number()),
});

const CancellationLevels = Type.Object({
  openNow: Type.Integer(),
  overdueNow: Type.Integer(),
  weeks: Type.Array(
    Type.Object({
      week: Type.String({ description: 'Monday (UTC) of the ISO week of submission' }),
      submitted: Type.Integer(),
      decided: Type.Integer(),
      hoursToDecision: Spread,
      outcomes: Type.Object({
        approved: Type.Integer(),
        infoRequested: Type.Integer(),
        rejected: Type.Integer(),
        withdrawn: Type.Integer(),
      }),
    }),
  ),
});

const TicketLevels = Type.Object({
  openNow: Type.Integer(),
  waitingOnSupportNow: Type.Integer(),
  unansweredNow: Type.Integer(),
  weeks: Type.Array(
    Type.Object({
      week: Type.String(),
      opened: Type.Integer(),
      answered: Type.Integer(),
      hoursToFirstResponse: Spread,
    }),
  ),
});

export function backofficeRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { customers, operations, policies } = ctx;
  return async (app) => {
    // Customers ---------------------------------------------------------------------------------
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
            200: Type.Object(
              {
                id: Type.String(),
                email: Nullable(Type.String()),
                phone: Nullable(Type.String()),
                status: Type.String(),
                locale: Type.String(),
                balance: Type.Ref('Money'),
                lines: Type.Array(Type.Unknown()),
                devices: Type.Array(Type.Unknown()),
                requests: Type.Array(Type.Unknown()),
                tickets: Type.Array(Type.Unknown()),
              },
              { additionalProperties: true },
            ),
            ...errorResponses(401, 403, 404),
          },
        },
      },
      async (request) => customers.view(request.params.id),
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
          .send(
            await customers.resend(request.params.id, request.params.messageId, actorOf(request.principal)),
          ),
    );

    app.post(
      '/api/v1/staff/accounts/:id/adjustments',
      {
        config: { access: AGENTS },
        schema: {
          tags: ['staff'],
          summary:
            'Goodwill credit to the wallet (Idempotency-Key required); above the policy limit it waits for an admin',
          params: Id,
          headers: IdempotencyHeader,
          body: Type.Object({
            amount: Type.Object({
              amount: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
              currency: Type.String({ pattern: '^[A-Z]{3}$' }),
            }),
            reason: Type.String({ minLength: 3, maxLength: 500 }),
          }),
          response: { 201: Adjustment, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return ctx.idempotency.respond(request, reply, 201, (complete) =>
          customers.requestAdjustment(
            request.params.id,
            request.body,
            { type: 'staff', id: principal.accountId, role: principal.role },
            complete,
            request.id,
          ),
        );
      },
    );

    app.post(
      '/api/v1/staff/accounts/:id/write-offs',
      {
        config: { access: AGENTS },
        schema: {
          tags: ['staff'],
          summary:
            'Write off part of a balance, or waive arrears of a closing account (Idempotency-Key required)',
          description:
            "The goodwill credit's mirror: the amount is positive and the direction is the operation. " +
            'of "balance" (default) debits the wallet (409 INSUFFICIENT_BALANCE above it); of "arrears" ' +
            'cancels that much of what the account owes, only while a request to close it is open ' +
            "(409 ACCOUNT_NOT_CLOSING, WAIVER_EXCEEDS_ARREARS). An agent's goodwill credits, write-offs " +
            'and waivers on one account are summed over 24 hours against the adjustmentApprovalMinor ' +
            'policy; beyond it the request waits for an admin (status pending_approval).',
          params: Id,
          headers: IdempotencyHeader,
          body: Type.Object({
            amount: Type.Object({
              amount: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
              currency: Type.String({ pattern: '^[A-Z]{3}$' }),
            }),
            reason: Type.String({ minLength: 3, maxLength: 500 }),
            of: Type.Optional(Type.Enum(['balance', 'arrears'], { default: 'balance' })),
          }),
          response: { 201: Adjustment, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { amount, reason, of } = request.body;
        return ctx.idempotency.respond(request, reply, 201, (complete) =>
          customers.requestAdjustment(
            request.params.id,
            { amount, reason, kind: of === 'arrears' ? 'arrears_waiver' : 'write_off' },
            { type: 'staff', id: principal.accountId, role: principal.role },
            complete,
            request.id,
          ),
        );
      },
    );

    app.get(
      '/api/v1/staff/adjustments',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Adjustments waiting for an admin',
          response: { 200: ListOf(Adjustment), ...errorResponses(401, 403) },
        },
      },
      async () => customers.pendingAdjustments(),
    );

    app.post(
      '/api/v1/staff/adjustments/:id/decision',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Approve (posts it) or reject an adjustment above the limit',
          params: Id,
          body: Type.Object({ decision: Type.Enum(['approve', 'reject']) }),
          response: { 200: Adjustment, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        customers.decideAdjustment(request.params.id, request.body.decision, actorOf(request.principal)),
    );

    // Policies -----------------------------------------------------------------------------------
    app.get(
      '/api/v1/staff/policies',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'The policies in force (all staff may read them; admins change them)',
          response: { 200: PolicySchema, ...errorResponses(401, 403) },
        },
      },
      async () => policies.get(),
    );

    app.patch(
      '/api/v1/staff/policies',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Change policies; audited, in force without a restart',
          body: PolicyPatch,
          response: { 200: PolicySchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => policies.update(request.body, actorOf(request.principal), request.id),
    );

    // Staff --------------------------------------------------------------------------------------
    app.get(
      '/api/v1/staff/members',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Staff accounts',
          response: { 200: ListOf(StaffMember), ...errorResponses(401, 403) },
        },
      },
      async () => operations.staffList(),
    );

    app.post(
      '/api/v1/staff/members',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Invite a staff member by email with a role (they sign in with a one-time code)',
          body: Type.Object({
            email: Type.String({ minLength: 3, maxLength: 254 }),
            role: Type.Enum(['agent', 'reviewer', 'admin']),
            locale: Type.Optional(Type.Enum(['en', 'zh-CN'])),
          }),
          response: { 201: StaffMember, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await operations.invite(request.body, actorOf(request.principal))),
    );

    app.patch(
      '/api/v1/staff/members/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Change a staff member’s role, or disable (signs them out) or re-enable them',
          params: Id,
          body: Type.Object(
            {
              role: Type.Optional(Type.Enum(['agent', 'reviewer', 'admin'])),
              disabled: Type.Optional(Type.Boolean()),
            },
            { minProperties: 1 },
          ),
          response: { 200: StaffMember, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => operations.updateStaff(request.params.id, request.body, actorOf(request.principal)),
    );

    // Jobs ---------------------------------------------------------------------------------------
    app.get(
      '/api/v1/staff/jobs',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Runner jobs by status (retrying: queued again after a failure), with counts',
          querystring: Type.Object({
            status: Type.Optional(
              Type.Enum(['queued', 'retrying', 'running', 'dead', 'succeeded', 'cancelled']),
            ),
            ...PageQuery,
          }),
          response: {
            200: Type.Intersect([
              ListOf(Job),
              Type.Object({
                counts: Type.Object({
                  queued: Type.Integer(),
                  running: Type.Integer(),
                  retrying: Type.Integer(),
                  dead: Type.Integer(),
                  succeeded: Type.Integer(),
                  cancelled: Type.Integer(),
                }),
              }),
            ]),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => ({
        ...(await operations.jobsList({
          status: request.query.status,
          cursor: request.query.cursor,
          limit: request.query.limit ?? 50,
        })),
        counts: await operations.jobCounts(),
      }),
    );

    for (const action of ['retry', 'cancel'] as const) {
      app.post(
        `/api/v1/staff/jobs/:id/${action}`,
        {
          config: { access: ADMIN },
          schema: {
            tags: ['staff'],
            summary: action === 'retry' ? 'Run a dead or waiting job again now' : 'Drop a queued job',
            params: Id,
            response: { 200: Job, ...errorResponses(401, 403, 404, 409) },
          },
        },
        async (request) => {
          const actor = actorOf(request.principal);
          const job =
            action === 'retry'
              ? await operations.retryJob(request.params.id, actor)
              : await operations.cancelJob(request.params.id, actor);
          ctx.runner.wake();
          return job;
        },
      );
    }

    // Service levels ------------------------------------------------------------------------------
    app.get(
      '/api/v1/staff/reports/service-levels',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary:
            'Cancellation review and ticket first-response times per week, and what is open or overdue now',
          querystring: Type.Object({ weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 104 })) }),
          response: {
            200: Type.Object({
              cancellations: CancellationLevels,
              tickets: TicketLevels,
              deadJobs: Type.Integer(),
            }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => ({
        cancellations: await operations.cancellationServiceLevels(request.query.weeks),
        tickets: await operations.ticketServiceLevels(request.query.weeks),
        deadJobs: (await operations.jobCounts()).dead,
      }),
    );

    app.get(
      '/api/v1/staff/reports/cancellations.csv',
      {
        config: { access: ['reviewer', 'admin'] },
        schema: {
          tags: ['staff'],
          summary: 'Cancellation review service levels per week as CSV (for regulators)',
          querystring: Type.Object({ weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 520 })) }),
          produces: ['text/csv'],
          response: { 200: Type.String(), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) =>
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="cancellation-service-levels.csv"')
          .send(await operations.cancellationServiceLevelsCsv(request.query.weeks)),
    );
  };
}
