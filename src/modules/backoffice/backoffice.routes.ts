import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';
import { adjustmentRoutes } from './routes/adjustments.routes.js';
import { customerRoutes } from './routes/customers.routes.js';
import { jobRoutes } from './routes/jobs.routes.js';
import { memberRoutes } from './routes/members.routes.js';
import { reportRoutes } from './routes/reports.routes.js';

/** The back office's routes, one file per area (registered on the same instance, in this order). */
export function backofficeRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const areas = [customerRoutes, adjustmentRoutes, memberRoutes, jobRoutes, reportRoutes].map((area) =>
    area(ctx),
  );
  return async (app, options) => {
    for (const area of areas) await area(app, options);
  };
}
