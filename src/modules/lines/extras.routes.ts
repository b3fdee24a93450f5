import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { ADMIN, SUBSCRIBER } from '../../http/roles.js';
import { errorResponses, IdempotencyHeader } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { actorOf } from '../identity/identity.service.js';

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

const LineParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

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
          params: LineParams,
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
        const principal = principalOf(request);
        return lineExtras.preferNetwork(
          principal.accountId,
          request.params.id,
          request.params.country,
          request.body.plmn,
          actorOf(principal),
          request.id,
        );
      },
    );

    const Quote = Type.Object({
      lineId: Type.String(),
      planId: Type.String(),
      planName: Type.String(),
      price: Type.Ref('Money'),
      credit: Type.Ref('Money', { description: 'Unused share of the current plan, by remaining validity' }),
      toPay: Type.Ref('Money'),
      validityDays: Type.Integer(),
    });
    const PlanBody = Type.Object({ planId: Type.String({ minLength: 1, maxLength: 64 }) });

    app.get(
      '/api/v1/me/lines/:id/plan-change',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'What changing the line to another plan costs, before confirming',
          params: LineParams,
          querystring: PlanBody,
          response: { 200: Quote, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        lineExtras.planChangeQuote(
          ctx.database.db,
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
          params: LineParams,
          body: PlanBody,
          response: { 201: Quote, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lineExtras.changePlan(
            principal.accountId,
            request.params.id,
            request.body.planId,
            request.locale,
            complete,
            actorOf(principal),
            request.id,
          ),
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

    const AddonInput = Type.Object({
      code: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }),
      names: Type.Object({
        en: Type.String({ minLength: 1, maxLength: 120 }),
        'zh-CN': Type.String({ minLength: 1, maxLength: 120 }),
      }),
      dataMb: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
      voiceMinutes: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
      sms: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
      price: Type.Object({
        amount: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
        currency: Type.String({ pattern: '^[A-Z]{3}$' }),
      }),
    });
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
        reply
          .status(201)
          .send(await lineExtras.saveAddon(null, request.body, actorOf(request.principal), request.id)),
    );
    app.put(
      '/api/v1/staff/addons/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Edit an add-on',
          params: LineParams,
          body: AddonInput,
          response: { 200: Addon, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        lineExtras.saveAddon(request.params.id, request.body, actorOf(request.principal), request.id),
    );
    app.post(
      '/api/v1/staff/addons/:id/retire',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Retire an add-on (never deleted)',
          params: LineParams,
          response: { 200: Addon, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => lineExtras.retireAddon(request.params.id, actorOf(request.principal), request.id),
    );

    app.post(
      '/api/v1/me/lines/:id/addons',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'Buy an add-on for an active line, paid from the balance (idempotent)',
          headers: IdempotencyHeader,
          params: LineParams,
          body: Type.Object({ addonId: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: {
            201: Type.Object({ id: Type.String(), lineId: Type.String(), addon: Addon }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lineExtras.buyAddon(
            principal.accountId,
            request.params.id,
            request.body.addonId,
            request.locale,
            complete,
            actorOf(principal),
            request.id,
          ),
        );
      },
    );
  };
}
