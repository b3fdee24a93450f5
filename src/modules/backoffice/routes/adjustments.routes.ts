import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import { ListOf } from '../../../core/pagination.js';
import { callerOf } from '../../../http/caller.js';
import type { Complete } from '../../../http/idempotency.js';
import { ADMIN } from '../../../http/roles.js';
import { errorResponses, IdempotencyHeader } from '../../../http/schemas.js';
import { principalOf } from '../../identity/identity.guard.js';
import { Adjustment, Id } from '../backoffice.schemas.js';

const AGENTS = ['agent', 'admin'] as const;

/** What every adjustment names: how much (always positive) and why. */
const AdjustmentInput = {
  amount: Type.Object({
    amount: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
};

/** The agent or admin asking, with their role: an admin's adjustments never wait for approval. */
function adjusterOf(request: FastifyRequest, complete: Complete) {
  return { ...callerOf(request, complete), role: principalOf(request).role };
}

/** Goodwill credits, write-offs and arrears waivers, and the admin’s decision above the limit. */
export function adjustmentRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { customers } = ctx;
  return async (app) => {
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
          body: Type.Object(AdjustmentInput),
          response: { 201: Adjustment, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) =>
        ctx.idempotency.respond(request, reply, 201, (complete) =>
          customers.requestAdjustment(request.params.id, request.body, adjusterOf(request, complete)),
        ),
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
            ...AdjustmentInput,
            of: Type.Optional(Type.Enum(['balance', 'arrears'], { default: 'balance' })),
          }),
          response: { 201: Adjustment, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { amount, reason, of } = request.body;
        const kind = of === 'arrears' ? 'arrears_waiver' : 'write_off';
        return ctx.idempotency.respond(request, reply, 201, (complete) =>
          customers.requestAdjustment(
            request.params.id,
            { amount, reason, kind },
            adjusterOf(request, complete),
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
        customers.decideAdjustment(request.params.id, request.body.decision, callerOf(request)),
    );
  };
}
