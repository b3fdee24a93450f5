import type { Clock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import type { TestContext } from './app.js';

/**
 * What createRunner takes, from a test's app context (its database, jobs and metrics) with `clock` and
 * a silent logger: for runners a test starts beside the context's own.
 */
export function runnerDeps(t: TestContext, clock: Clock) {
  return {
    db: t.ctx.database.db,
    dialect: t.db.dialect,
    clock,
    logger: createLogger('silent'),
    jobs: t.ctx.jobs,
    metrics: t.ctx.metrics,
  };
}

/** A job's row as it stands. */
export const jobRowOf = (t: TestContext, id: string) =>
  t.ctx.database.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
