import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { IdParams } from '../../core/schemas.js';
import { callerOf } from '../../http/caller.js';
import { ADMIN, SUBSCRIBER } from '../../http/roles.js';
import { errorResponses, IdempotencyHeader } from '../../http/schemas.js';
import { OfferFields } from '../catalog/catalog.routes.js';
import { principalOf } from '../identity/identity.guard.js';

const Networks = Type.Object({
  country: Type.String(),
  preferred: Type.Union([Type.String(), Type.Null()], {
    description: 'PLMN (MCC+MNC) of the chosen partner network, null for automatic',
  }),
  networks: Type.Array(
    Type.Object({ plmn: Type.String(), mcc: Type.String(), mnc: Type.String(), name: Type.String() }),
  ),
});

const Addon = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  dataMb: Type.Integer(),
  voiceMinutes: Type.Integer(),
  sms: Type.Integer(),
  price: Type.Ref('Money'),
});

/** A share of a plan, 0 to 1. */
const share = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });

export function lineExtrasRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { lineExtras, idempotency } = ctx;
  return async (app) => {
    app.get(
      '/api/v1/me/lines/:id/networks',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'Partner networks the line may use in a country, and the preferred one',
          params: IdParams,
          querystring: Type.Object({ country: Type.String({ maxLength: 8 }) }),
          response: { 200: Networks, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        lineExtras.networks(principalOf(request).accountId, request.params.id, request.query.country),
    );

    app.put(
      '/api/v1/me/lines/:id/networks/:country',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'Switch the preferred network operator in a country (immediate, audited)',
          params: Type.Object({ id: Type.String({ maxLength: 64 }), country: Type.String({ maxLength: 8 }) }),
          body: Type.Object({ plmn: Type.String({ pattern: '^[0-9]{5,6}$' }) }),
          response: { 200: Networks, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        return lineExtras.preferNetwork(
          principalOf(request).accountId,
          request.params.id,
          request.params.country,
          request.body.plmn,
          callerOf(request),
        );
      },
    );

    const Quote = Type.Object({
      lineId: Type.String(),
      planId: Type.String(),
      planName: Type.String(),
      price: Type.Ref('Money', { description: 'List price of the new plan' }),
      credit: Type.Ref('Money', {
        description:
          'Value of the unused part of the current plan: paid × (1 − used.share), rounded down, never more than paid',
      }),
      toPay: Type.Ref('Money', { description: 'price − credit, at least 0: what leaves the balance' }),
      validityDays: Type.Integer(),
      paid: Type.Ref('Money', { description: 'What the current plan was paid (the most the credit can be)' }),
      used: Type.Object(
        {
          share: share('The larger of the time share and each allowance share: what the credit takes off'),
          by: Type.Union(
            [
              Type.Literal('time'),
              Type.Literal('data'),
              Type.Literal('voice'),
              Type.Literal('sms'),
              Type.Null(),
            ],
            {
              description: 'Which measure gave the share (null when nothing is used)',
            },
          ),
          time: share('Started hours of the current validity period, over the period'),
          data: share("Data used, over the plan's own data allowance (add-ons are spent after it)"),
          voice: share("Minutes used, over the plan's own minutes"),
          sms: share("SMS used, over the plan's own SMS"),
        },
        { description: 'How much of the current plan is used, by measure (shown to four places)' },
      ),
      creditForfeited: Type.Ref('Money', {
        description: 'The part of the credit above the new price: not paid out',
      }),
      allowances: Type.Object(
        { dataMb: Type.Integer(), voiceMinutes: Type.Integer(), sms: Type.Integer() },
        { description: "The new plan's allowances, in full from now; what is left of the current ones ends" },
      ),
      quotedAt: Type.String({ format: 'date-time' }),
      expiresAt: Type.String({
        format: 'date-time',
        description: 'When the new plan ends: now + validityDays',
      }),
    });
    const PlanQuery = Type.Object({ planId: Type.String({ minLength: 1, maxLength: 64 }) });
    const PlanBody = Type.Object({
      planId: Type.String({ minLength: 1, maxLength: 64 }),
      maxToPay: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 1_000_000_000_000,
          description:
            'The toPay amount of the quote the subscriber accepted (minor units); a change that would cost more is refused with QUOTE_CHANGED',
        }),
      ),
    });

    app.get(
      '/api/v1/me/lines/:id/plan-change',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'What changing the line to another plan costs, before confirming',
          params: IdParams,
          querystring: PlanQuery,
          response: { 200: Quote, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        lineExtras.planChangeQuote(
          principalOf(request).accountId,
          request.params.id,
          request.query.planId,
          request.locale,
        ),
    );

    app.post(
      '/api/v1/me/lines/:id/plan-change',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary:
            'Change the line to another plan now, paying the quoted amount from the balance (idempotent)',
          headers: IdempotencyHeader,
          params: IdParams,
          body: PlanBody,
          response: { 201: Quote, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lineExtras.changePlan(accountId, request.params.id, request.body, callerOf(request, complete)),
        );
      },
    );

    app.get(
      '/api/v1/addons',
      {
        config: { access: 'public' },
        schema: {
          tags: ['plans'],
          summary: 'Add-ons on offer (extra data, minutes, SMS)',
          response: { 200: Type.Object({ items: Type.Array(Addon), nextCursor: Type.Null() }) },
        },
      },
      async (request) => ({ items: await lineExtras.addons(request.locale), nextCursor: null }),
    );

    const AddonInput = Type.Object(OfferFields);
    app.post(
      '/api/v1/staff/addons',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Create an add-on',
          body: AddonInput,
          response: { 201: Addon, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await lineExtras.saveAddon(null, request.body, callerOf(request))),
    );
    app.put(
      '/api/v1/staff/addons/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Edit an add-on',
          params: IdParams,
          body: AddonInput,
          response: { 200: Addon, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => lineExtras.saveAddon(request.params.id, request.body, callerOf(request)),
    );
    app.post(
      '/api/v1/staff/addons/:id/retire',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Retire an add-on (never deleted)',
          params: IdParams,
          response: { 200: Addon, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => lineExtras.retireAddon(request.params.id, callerOf(request)),
    );

    app.post(
      '/api/v1/me/lines/:id/addons',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'Buy an add-on for an active line, paid from the balance (idempotent)',
          headers: IdempotencyHeader,
          params: IdParams,
          body: Type.Object({ addonId: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: {
            201: Type.Object({ id: Type.String(), lineId: Type.String(), addon: Addon }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lineExtras.buyAddon(
            accountId,
            request.params.id,
            request.body.addonId,
            callerOf(request, complete),
          ),
        );
      },
    );
  };
}
