import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db } from '../../db/database.js';
import type { JobRow, JobStatus } from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import { countRetryingJobs, findJob, getJob, jobCountsByStatus, jobPage } from './stores/operations.store.js';

/** A runner job as staff see it. */
function presentJob(j: JobRow) {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    attempts: j.attempts,
    maxAttempts: j.max_attempts,
    runAt: j.run_at,
    lastError: j.last_error,
    createdAt: j.created_at,
    finishedAt: j.finished_at,
  };
}

/** The runner's jobs as admins see them: list, count, retry, cancel. */
export function createJobsAdmin(deps: {
  db: Db;
  reading: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  jobs: Pick<Jobs, 'moveStatus'>;
}) {
  const { db, clock, audit } = deps;

  async function jobsList(query: { status?: JobStatus | 'retrying'; cursor?: string; limit: number }) {
    const after = decodeCursor(query.cursor);
    const rows = await jobPage(db, { status: query.status, before: after, limit: query.limit });
    const result = page(rows, query.limit);
    return {
      items: result.items.map(presentJob),
      nextCursor: result.nextCursor,
    };
  }

  /** A dashboard figure: read on a replica when there is one. */
  function jobCounts() {
    return deps.reading((on) => jobCountsOn(on));
  }

  async function jobCountsOn(db: Db) {
    const rows = await jobCountsByStatus(db);
    const retrying = await countRetryingJobs(db);
    const of = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return {
      queued: of('queued'),
      running: of('running'),
      retrying,
      dead: of('dead'),
      succeeded: of('succeeded'),
      cancelled: of('cancelled'),
    };
  }

  /** A dead (or waiting) job runs again now with a fresh set of attempts. */
  async function retryJob(id: string, caller: Caller) {
    return changeJob(id, ['dead', 'queued'], caller.actor, 'job.retried', {
      status: 'queued',
      attempts: 0,
      run_at: clock.now().toISOString(),
      finished_at: null,
    });
  }

  /** A queued job is dropped (the work is no longer wanted). */
  async function cancelJob(id: string, caller: Caller) {
    return changeJob(id, ['queued'], caller.actor, 'job.cancelled', {
      status: 'cancelled',
      finished_at: clock.now().toISOString(),
    });
  }

  async function changeJob(
    id: string,
    from: JobStatus[],
    actor: Actor,
    action: string,
    set: { status: JobStatus; attempts?: number; run_at?: string; finished_at: string | null },
  ) {
    await db.transaction().execute(async (tx) => {
      const job = await findJob(tx, id);
      if (!job) throw new AppError('JOB_NOT_FOUND', { id });
      if (!from.includes(job.status)) throw new AppError('JOB_NOT_RETRYABLE', { status: job.status });
      if (!(await deps.jobs.moveStatus(tx, id, job.status, set)))
        throw new AppError('JOB_NOT_RETRYABLE', { status: 'changed' });
      await audit.record(tx, {
        actor,
        action,
        subject: { type: 'job', id },
        before: { status: job.status, attempts: job.attempts },
        after: { status: set.status },
      });
    });
    return presentJob(await getJob(db, id));
  }

  return { jobsList, jobCounts, retryJob, cancelJob };
}
