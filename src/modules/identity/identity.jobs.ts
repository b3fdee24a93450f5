import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import type { Jobs } from '../../runner/jobs.js';
import { pruneSignInRecords } from './identity.store.js';

const DAY_MS = 86_400_000;
/** How long sign-in codes, wrong-code records and expired sessions are kept (the limits need a day). */
export const SIGN_IN_RECORDS_KEPT_DAYS = 7;

/**
 * Every day: sign-in codes, wrong-code failures and expired sessions older than a week are deleted.
 * Without it the tables grew by every code ever asked for (addresses that never signed in included)
 * and every session that ever expired.
 */
export function registerIdentityJobs(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs: Pick<Jobs, 'registerRecurring'>;
}) {
  deps.jobs.registerRecurring({
    kind: 'identity.prune',
    everyMs: DAY_MS,
    handle: async () => {
      const before = new Date(deps.clock.now().getTime() - SIGN_IN_RECORDS_KEPT_DAYS * DAY_MS).toISOString();
      const removed = await pruneSignInRecords(deps.db, before);
      if (removed.codes + removed.failures + removed.sessions > 0)
        deps.logger.info(removed, 'old sign-in records removed');
    },
  });
}
