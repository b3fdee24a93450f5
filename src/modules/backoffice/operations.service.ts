import type { Clock } from '../../core/clock.js';
import type { Metrics } from '../../core/metrics.js';
import type { Db } from '../../db/database.js';
import type { Jobs } from '../../runner/jobs.js';
import type { AuditService } from '../audit/audit.service.js';
import type { IdentityService } from '../identity/identity.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import { createJobsAdmin } from './jobs-admin.js';
import { createServiceLevels } from './service-levels.js';
import { registerGauges } from './service-levels.metrics.js';
import { createStaffMembers } from './staff-members.js';

export { spread, weekOf } from './service-levels.js';

/**
 * Running the service: staff accounts (invite, change role, disable: staff-members.ts), the runner's
 * jobs (see, retry, cancel: jobs-admin.ts) and the service-level figures regulators and managers ask
 * for (service-levels.ts, their Prometheus gauges in service-levels.metrics.ts).
 */
export function createOperations(deps: {
  db: Db;
  /** Heavy reads that may lag a little (the dashboards): on a read replica when there is one. */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  clock: Clock;
  /** Where staff sign in: the invitation links there. */
  publicUrl: string;
  audit: Pick<AuditService, 'record'>;
  identity: Pick<IdentityService, 'addStaff' | 'setStaffAccess'>;
  notifications: Pick<NotificationService, 'notify'>;
  metrics: Metrics;
  jobs: Pick<Jobs, 'moveStatus'>;
}) {
  const { db } = deps;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));
  const staff = createStaffMembers(deps);
  const jobs = createJobsAdmin({ ...deps, reading });
  const levels = createServiceLevels({ clock: deps.clock, reading });

  registerGauges(deps.metrics, levels);

  return {
    staffList: staff.staffList,
    invite: staff.invite,
    updateStaff: staff.updateStaff,
    jobsList: jobs.jobsList,
    jobCounts: jobs.jobCounts,
    retryJob: jobs.retryJob,
    cancelJob: jobs.cancelJob,
    cancellationServiceLevels: levels.cancellationServiceLevels,
    ticketServiceLevels: levels.ticketServiceLevels,
    cancellationServiceLevelsCsv: levels.cancellationServiceLevelsCsv,
  };
}

export type Operations = ReturnType<typeof createOperations>;
