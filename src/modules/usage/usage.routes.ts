import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { AppError } from '../../core/errors.js';
import { ListOf, PageQuery, pageOf } from '../../core/pagination.js';
import { IdParams, Nullable } from '../../core/schemas.js';
import { callerOf } from '../../http/caller.js';
import { ADMIN, SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { MAX_BATCH, MAX_DURATION_SECONDS } from './usage.service.js';

const UsageItem = Type.Object({
  id: Type.String(),
  recordId: Type.String(),
  lineId: Type.String(),
  type: Type.Enum(['voice', 'sms', 'data']),
  startedAt: Type.String({ format: 'date-time' }),
  durationSeconds: Nullable(Type.Integer()),
  bytes: Nullable(Type.Integer()),
  counterpart: Type.Union([Type.String(), Type.Null()], { description: 'Partly masked' }),
  direction: Nullable(Type.Enum(['in', 'out'])),
  country: Type.String(),
  charge: Type.Ref('Money'),
});

const HOLD_STATUSES = ['held', 'approved', 'rejected'] as const;

const UsageHold = Type.Object({
  id: Type.String(),
  recordId: Type.String({ description: 'The mediation system’s id of the record' }),
  accountId: Type.String(),
  lineId: Type.String(),
  iccid: Type.String(),
  type: Type.Enum(['voice', 'sms', 'data']),
  startedAt: Type.String({ format: 'date-time' }),
  durationSeconds: Nullable(Type.Integer()),
  bytes: Nullable(Type.Integer()),
  counterpart: Nullable(Type.String({ description: 'Partly masked' })),
  direction: Nullable(Type.Enum(['in', 'out'])),
  country: Type.String(),
  quotedCharge: Type.Ref('Money', { description: 'What rating said it would cost when it arrived' }),
  charge: Nullable(Type.Ref('Money', { description: 'What was posted when approved (rated then)' })),
  status: Type.Enum([...HOLD_STATUSES]),
  note: Nullable(Type.String()),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
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
          summary: `Usage records from mediation (service key), up to ${MAX_BATCH} per batch; each accepted, counted as a duplicate, rejected with its index, or held for staff review`,
          description: `A record with a field not listed in the contract is rejected (INVALID_RECORD naming the field). Besides malformed records, implausible ones are rejected: a call over ${MAX_DURATION_SECONDS} s (DURATION_TOO_LONG), a data record over the usageMaxBytesPerRecord policy (BYTES_TOO_LARGE), a start or (for calls) an end in the future (STARTED_IN_FUTURE, ENDS_IN_FUTURE), a start before the months the usageRetentionMonths policy keeps (STARTED_BEFORE_RETENTION), a start outside the line's life (LINE_NOT_ACTIVE). A record that would charge more than the usageHoldAboveMinor policy is held: nothing is charged until staff approve it.`,
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
              held: Type.Array(
                Type.Object({
                  index: Type.Integer(),
                  id: Type.String({ description: 'The hold, for staff: GET /api/v1/staff/usage/holds' }),
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
      '/api/v1/staff/usage/holds',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Usage records held for review (their charge is above the policy’s ceiling), oldest first',
          querystring: Type.Object({
            status: Type.Optional(Type.Enum([...HOLD_STATUSES], { default: 'held' })),
            ...PageQuery,
          }),
          response: { 200: ListOf(UsageHold), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => ctx.usage.holds({ status: request.query.status, ...pageOf(request.query) }),
    );

    app.post(
      '/api/v1/staff/usage/holds/:id/decision',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary:
            'Approve (rates it now and posts the charge, once) or reject (nothing is charged) a held usage record; audited',
          params: IdParams,
          body: Type.Object({
            decision: Type.Enum(['approve', 'reject']),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          }),
          response: { 200: UsageHold, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => ctx.usage.decideHold(request.params.id, request.body, callerOf(request)),
    );

    app.get(
      '/api/v1/me/usage',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['usage'],
          summary:
            'The subscriber’s calls, SMS and data sessions, newest first (by start time), within the usage retention period',
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
        const { type, from, to } = request.query;
        return ctx.usage.list(principalOf(request).accountId, {
          type,
          from: from && new Date(from).toISOString(),
          to: to && new Date(to).toISOString(),
          ...pageOf(request.query),
        });
      },
    );
  };
}
