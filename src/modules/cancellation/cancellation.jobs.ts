import { Type } from 'typebox';
import { defineJob, type Jobs } from '../../runner/jobs.js';

const DAY_MS = 86_400_000;

/** Who carries out the cancellation module's jobs (cancellation.service.ts). */
export interface CancellationJobHandlers {
  /** Runs the automatic checks of a submitted request and records them. */
  runChecks(requestId: string): Promise<void>;
  /** Carries out an approved request: lines ended, sessions revoked, the account deregistered. */
  deregister(requestId: string): Promise<void>;
  /** Emails reviewers when requests are past their due date. */
  remindOverdue(): Promise<void>;
}

/** The cancellation module's background work, registered with the runner; returns the jobs it enqueues. */
export function registerCancellationJobs(
  jobs: Pick<Jobs, 'register' | 'registerRecurring'>,
  handlers: CancellationJobHandlers,
) {
  const checksJob = defineJob({
    kind: 'cancellation.checks',
    payload: Type.Object({ requestId: Type.String() }),
    handle: ({ requestId }) => handlers.runChecks(requestId),
  });
  const deregisterJob = defineJob({
    kind: 'cancellation.deregister',
    payload: Type.Object({ requestId: Type.String() }),
    maxAttempts: 30,
    handle: ({ requestId }) => handlers.deregister(requestId),
  });
  jobs.register(checksJob, deregisterJob);
  // Once a day: if requests are past their due date, every active reviewer and admin gets one email.
  jobs.registerRecurring({
    kind: 'cancellation.overdue_reminder',
    everyMs: DAY_MS,
    handle: () => handlers.remindOverdue(),
  });
  return { checksJob, deregisterJob };
}

/** Every day: accounts deregistered before the retention period are erased (retention.ts). */
export function registerRetentionJob(
  jobs: Pick<Jobs, 'registerRecurring'>,
  handlers: { eraseDue(): Promise<unknown> },
): void {
  jobs.registerRecurring({
    kind: 'retention.erase',
    everyMs: DAY_MS,
    handle: async () => {
      await handlers.eraseDue();
    },
  });
}
