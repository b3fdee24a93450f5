import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { IdParams } from '../../core/schemas.js';
import { callerOf } from '../../http/caller.js';
import { ADMIN } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';

const Overage = Type.Object({
  dataPerMb: Type.Integer({ minimum: 0 }),
  voicePerMinute: Type.Integer({ minimum: 0 }),
  smsEach: Type.Integer({ minimum: 0 }),
});

export const Plan = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String({ description: 'In the caller’s language' }),
    countries: Type.Array(Type.String(), { description: 'ISO 3166 alpha-2 codes' }),
    countryNames: Type.Array(Type.String()),
    region: Type.Union([Type.String(), Type.Null()]),
    dataMb: Type.Integer(),
    voiceMinutes: Type.Integer(),
    sms: Type.Integer(),
    validityDays: Type.Integer(),
    price: Type.Ref('Money'),
    overage: Overage,
    status: Type.Enum(['active', 'retired']),
  },
  { $id: 'Plan', title: 'Plan' },
);

/** What an admin sets on anything sold (a plan, an add-on): its code, names, allowances and price. */
export const OfferFields = {
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
};

const PlanInput = Type.Object({
  code: OfferFields.code,
  names: OfferFields.names,
  countries: Type.Array(Type.String({ maxLength: 2 }), { minItems: 1, maxItems: 250 }),
  region: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
  dataMb: OfferFields.dataMb,
  voiceMinutes: OfferFields.voiceMinutes,
  sms: OfferFields.sms,
  validityDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  price: OfferFields.price,
  overage: Type.Optional(Overage),
});

export function catalogRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { catalog } = ctx;
  return async (app) => {
    app.get(
      '/api/v1/plans',
      {
        config: { access: 'public' },
        schema: {
          tags: ['plans'],
          summary: 'Plans on offer, for one country (regional plans that cover it included) or all',
          querystring: Type.Object({ country: Type.Optional(Type.String({ maxLength: 8 })) }),
          response: {
            200: Type.Object({ items: Type.Array(Type.Ref('Plan')), nextCursor: Type.Null() }),
            ...errorResponses(400),
          },
        },
      },
      async (request) => ({
        items: await catalog.list({ country: request.query.country }, request.locale),
        nextCursor: null,
      }),
    );

    app.get(
      '/api/v1/plans/:id',
      {
        config: { access: 'public' },
        schema: {
          tags: ['plans'],
          summary: 'One plan',
          params: IdParams,
          response: { 200: Type.Ref('Plan'), ...errorResponses(404) },
        },
      },
      async (request) => catalog.plan(request.params.id, request.locale),
    );

    app.post(
      '/api/v1/staff/plans',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Create a plan',
          body: PlanInput,
          response: { 201: Type.Ref('Plan'), ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => reply.status(201).send(await catalog.create(request.body, callerOf(request))),
    );

    app.put(
      '/api/v1/staff/plans/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Edit a plan (retired plans cannot be edited)',
          params: IdParams,
          body: PlanInput,
          response: { 200: Type.Ref('Plan'), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => catalog.update(request.params.id, request.body, callerOf(request)),
    );

    app.post(
      '/api/v1/staff/plans/:id/retire',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Retire a plan: no longer offered, never deleted',
          params: IdParams,
          response: { 200: Type.Ref('Plan'), ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => catalog.retire(request.params.id, callerOf(request)),
    );
  };
}
