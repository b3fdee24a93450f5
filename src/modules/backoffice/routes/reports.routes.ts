import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import { STAFF } from '../../../http/roles.js';
import { errorResponses } from '../../../http/schemas.js';
import { CancellationLevels, TicketLevels } from '../backoffice.schemas.js';

/** Service levels (the dashboard) and their CSV for regulators. */
export function reportRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { operations } = ctx;
  return async (app) => {
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
