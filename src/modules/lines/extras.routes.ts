import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
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

    app.post(
      '/api/v1/me/lines/:id/addons',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'Buy an add-on for an active line, paid from the balance (idempotent)',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
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
