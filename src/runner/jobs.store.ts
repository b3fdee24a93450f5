import type { Insertable } from 'kysely';
import type { Dialect, Executor } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { JobRow, JobsTable } from '../db/schema.js';

// Enqueueing

function queuedJob(
  executor: Executor,
  id: string,
  kind: string,
  payload: string,
  runAt: string,
  maxAttempts: number,
  key: string | null,
  now: string,
) {
  return executor.insertInto('jobs').values({
    id,
    kind,
    payload,
    status: 'queued',
    run_at: runAt,
    attempts: 0,
    max_attempts: maxAttempts,
    idempotency_key: key,
    created_at: now,
    updated_at: now,
  });
}

// One queued job, as most transactions write (a notice, an order): built and compiled once. With an
// idempotency key the answer says whether it was written; without one it always is.
export const insertJob = prepared(
  (
    executor: Executor,
    id: string,
    kind: string,
    payload: string,
    runAt: string,
    max: number,
    key: string | null,
    now: string,
  ) =>
    queuedJob(executor, id, kind, payload, runAt, max, key, now)
      .onConflict((oc) => oc.column('idempotency_key').where('idempotency_key', 'is not', null).doNothing())
      .returning('id'),
);
export const insertJobWithoutKey = prepared(
  (executor: Executor, id: string, kind: string, payload: string, runAt: string, max: number, now: string) =>
    queuedJob(executor, id, kind, payload, runAt, max, null, now),
);

/** Several jobs in one statement; answers the ids written (a job whose key exists is not). */
export function insertJobs(executor: Executor, rows: Insertable<JobsTable>[]) {
  return executor
    .insertInto('jobs')
    .values(rows)
    .onConflict((oc) => oc.column('idempotency_key').where('idempotency_key', 'is not', null).doNothing())
    .returning('id')
    .execute();
}

// Completing and moving

/** Marks a running job of this runner done; answers whether it still was this runner's. */
export async function completeRunningJob(
  executor: Executor,
  job: Pick<JobRow, 'id' | 'locked_by'>,
  now: string,
  scrub: { payload?: string },
): Promise<boolean> {
  const result = await executor
    .updateTable('jobs')
    .set({ status: 'succeeded', finished_at: now, updated_at: now, ...scrub })
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('locked_by', '=', job.locked_by)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Moves a job out of `from` only if it is still there; answers whether it was. */
export async function moveJobStatus(
  executor: Executor,
  id: string,
  from: JobRow['status'],
  set: { status: JobRow['status']; attempts?: number; run_at?: string; finished_at: string | null },
  now: string,
): Promise<boolean> {
  const changed = await executor
    .updateTable('jobs')
    .set({ ...set, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(changed.numUpdatedRows) === 1;
}

// The runner

/** Extends the lease of the running jobs this runner holds. */
export async function renewJobLeases(executor: Executor, ids: string[], runnerId: string, until: string) {
  await executor
    .updateTable('jobs')
    .set({ locked_until: until })
    .where('id', 'in', ids)
    .where('locked_by', '=', runnerId)
    .where('status', '=', 'running')
    .execute();
}

/**
 * Running jobs whose lease ran out on their final attempt, oldest lease first. PostgreSQL skips rows
 * other runners hold.
 */
export function overdueFinalJobs(executor: Executor, dialect: Dialect, now: string, limit: number) {
  let overdue = executor
    .selectFrom('jobs')
    .select(['id', 'locked_by', 'last_error'])
    .where('status', '=', 'running')
    .where('locked_until', '<', now)
    .whereRef('attempts', '>=', 'max_attempts')
    .orderBy('locked_until')
    .limit(limit);
  if (dialect === 'postgres') overdue = overdue.forUpdate().skipLocked();
  return overdue.execute();
}

/** The runner takes these jobs' leases (as they are: to dead-letter them). */
export function leaseJobs(executor: Executor, ids: string[], runnerId: string, until: string, now: string) {
  return executor
    .updateTable('jobs')
    .set({ locked_by: runnerId, locked_until: until, updated_at: now })
    .where('id', 'in', ids)
    .returningAll()
    .execute();
}

/**
 * The ids of jobs due to run: queued and due, or running with a lapsed lease and attempts left;
 * earliest first. PostgreSQL skips rows other runners hold.
 */
export async function dueJobIds(executor: Executor, dialect: Dialect, now: string, limit: number) {
  let due = executor
    .selectFrom('jobs')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
        eb.and([
          eb('status', '=', 'running'),
          eb('locked_until', '<', now),
          eb('attempts', '<', eb.ref('max_attempts')),
        ]),
      ]),
    )
    .orderBy('run_at')
    .limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return (await due.execute()).map((r) => r.id);
}

/** The runner starts these jobs: running, one more attempt, its lease. */
export function startJobs(executor: Executor, ids: string[], runnerId: string, until: string, now: string) {
  return executor
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: runnerId,
      locked_until: until,
      updated_at: now,
    }))
    .where('id', 'in', ids)
    .returningAll()
    .execute();
}

/** Changes a job this runner holds (its outcome: done, retried, dead, failure path pending). */
export async function updateHeldJob(
  executor: Executor,
  jobId: string,
  runnerId: string,
  set: Partial<
    Pick<
      JobsTable,
      'status' | 'last_error' | 'run_at' | 'locked_by' | 'locked_until' | 'finished_at' | 'updated_at'
    >
  >,
): Promise<void> {
  await executor
    .updateTable('jobs')
    .set(set)
    .where('id', '=', jobId)
    .where('locked_by', '=', runnerId)
    .execute();
}

/**
 * Back to the queue, due now, without counting the attempt: the running jobs this runner holds.
 * Answers how many.
 */
export async function handBackJobs(executor: Executor, ids: string[], runnerId: string, now: string) {
  const result = await executor
    .updateTable('jobs')
    .set((eb) => ({
      status: 'queued',
      attempts: eb
        .case()
        .when('attempts', '>', 0)
        .then(eb('attempts', '-', 1))
        .else(0)
        .end(),
      run_at: now,
      locked_by: null,
      locked_until: null,
      updated_at: now,
    }))
    .where('id', 'in', ids)
    .where('locked_by', '=', runnerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// Erasure

/** Queued notices naming the account (a fan-out that never succeeded) forget their addresses. */
export async function emptyNoticesNaming(executor: Executor, accountId: string): Promise<void> {
  await executor
    .updateTable('jobs')
    .set({ payload: JSON.stringify({ notices: [] }) })
    // Through jobs_due (status first): unfinished jobs are few, finished ones many.
    .where('status', 'in', ['queued', 'running', 'dead', 'cancelled'])
    .where('kind', '=', 'notifications.fanout')
    .where('payload', 'like', `%"id":"${accountId}"%`)
    .execute();
}

// Metrics

/** How many jobs are in each of these statuses (those with none are absent). */
export function jobCountsByStatus(executor: Executor, statuses: JobRow['status'][]) {
  return executor
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', statuses)
    .groupBy('status')
    .execute();
}
