import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { errorResponses } from '../../http/schemas.js';
import { normalizeEmail, normalizePhone } from '../identity/normalize.js';

const DevMessage = Type.Object({
  id: Type.String(),
  channel: Type.Union([Type.Literal('email'), Type.Literal('sms')]),
  to: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()]),
  locale: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

/** Demo mode only: what would have been emailed or texted, so visitors can read their codes. */
export function devMailboxRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/dev/messages',
      {
        config: { access: 'public' },
        schema: {
          tags: ['demo'],
          summary: 'Dev mailbox (demo mode only): messages sent to an email address or phone, newest first',
          querystring: Type.Object({ to: Type.String({ minLength: 1, maxLength: 320 }) }),
          response: { 200: Type.Object({ items: Type.Array(DevMessage) }), ...errorResponses(400) },
        },
      },
      async (request) => {
        const raw = request.query.to;
        const to = raw.includes('@')
          ? normalizeEmail(raw)
          : normalizePhone(raw, (await ctx.policies.get()).operatorCountry);
        return { items: await ctx.notifications.devMessages(to) };
      },
    );
  };
}
