import type { Logger } from '../../core/logger.js';
import type { Jobs } from '../../runner/jobs.js';
import type { UsagePartitions } from './usage.partitions.js';

const DAY_MS = 86_400_000;

/** Every day: the coming months' partitions (PostgreSQL), and the removal of months past retention. */
export function registerUsageJobs(
  deps: { jobs: Pick<Jobs, 'registerRecurring'>; logger: Logger },
  partitions: Pick<UsagePartitions, 'ensurePartitions' | 'applyRetention'>,
) {
  deps.jobs.registerRecurring({
    kind: 'usage.partitions',
    everyMs: DAY_MS,
    handle: async () => {
      const created = await partitions.ensurePartitions();
      if (created.length) deps.logger.info({ months: created }, 'usage partitions created');
    },
  });
  deps.jobs.registerRecurring({
    kind: 'usage.retention',
    everyMs: DAY_MS,
    handle: async () => {
      const removed = await partitions.applyRetention();
      if (removed.length) deps.logger.info({ removed }, 'usage records past the retention period removed');
    },
  });
}
