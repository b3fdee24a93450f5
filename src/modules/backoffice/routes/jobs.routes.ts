import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import { ListOf, PageQuery, pageOf } from '../../../core/pagination.js';
import { callerOf } from '../../../http/caller.js';
import { ADMIN } from '../../../http/roles.js';
import { errorResponses } from '../../../http/schemas.js';
import { Id, Job } from '../backoffice.schemas.js';

/** The runner’s jobs: list with counts, retry, cancel. */
export function jobRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { operations } = ctx;
  return async (app) => {
    app.get(
      '/api/v1/staff/jobs',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Runner jobs by status (retrying: queued again after a failure), with counts',
          querystring: Type.Object({
            status: Type.Optional(
              Type.Enum(['queued', 'retrying', 'running', 'dead', 'succeeded', 'cancelled']),
            ),
            ...PageQuery,
          }),
          response: {
            200: Type.Intersect([
              ListOf(Job),
              Type.Object({
                counts: Type.Object({
                  queued: Type.Integer(),
                  running: Type.Integer(),
                  retrying: Type.Integer(),
                  dead: Type.Integer(),
                  succeeded: Type.Integer(),
                  cancelled: Type.Integer(),
                }),
              }),
            ]),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => ({
        ...(await operations.jobsList({ status: request.query.status, ...pageOf(request.query) })),
        counts: await operations.jobCounts(),
      }),
    );

    for (const action of ['retry', 'cancel'] as const) {
      app.post(
        `/api/v1/staff/jobs/:id/${action}`,
        {
          config: { access: ADMIN },
          schema: {
            tags: ['staff'],
            summary: action === 'retry' ? 'Run a dead or waiting job again now' : 'Drop a queued job',
            params: Id,
            response: { 200: Job, ...errorResponses(401, 403, 404, 409) },
          },
        },
        async (request) => {
          const change = action === 'retry' ? operations.retryJob : operations.cancelJob;
          const job = await change(request.params.id, callerOf(request));
          ctx.runner.wake();
          return job;
        },
      );
    }
  };
}
