import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';

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
