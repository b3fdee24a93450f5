import type { Executor } from '../../../db/database.js';
import type { CancellationStatus, JobStatus } from '../../../db/schema.js';

// What running the service reads of other modules' tables (accounts: identity; jobs: the runner,
// which writes them through moveStatus). Their owners write them.

// Staff

export function staffAccounts(executor: Executor) {
  return executor
    .selectFrom('accounts')
    .select(['id', 'email', 'role', 'locale', 'disabled_at', 'created_at'])
    .where('role', '!=', 'subscriber')
    .orderBy('email')
    .execute();
}

export function accountIdWithEmail(executor: Executor, email: string) {
  return executor.selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirst();
}

export function findStaffAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', accountId)
    .where('role', '!=', 'subscriber')
    .executeTakeFirst();
}

// Jobs

/** A page of jobs, newest first, by status (retrying: queued again after a failed attempt). */
export function jobPage(
  executor: Executor,
  query: { status?: JobStatus | 'retrying'; before?: string; limit: number },
) {
  let q = executor
    .selectFrom('jobs')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.status === 'retrying') q = q.where('status', '=', 'queued').where('attempts', '>', 0);
  else if (query.status) q = q.where('status', '=', query.status);
  if (query.before) q = q.where('id', '<', query.before);
  return q.execute();
}

export function jobCountsByStatus(executor: Executor) {
  return executor
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
}

export async function countRetryingJobs(executor: Executor): Promise<number> {
  const row = await executor
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'queued')
    .where('attempts', '>', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function findJob(executor: Executor, id: string) {
  return executor.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export function getJob(executor: Executor, id: string) {
  return executor.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

// Service levels (cancellation_requests and cancellation_events: cancellation; tickets: support)

const WAITING: CancellationStatus[] = ['submitted', 'in_review', 'info_requested'];

export function cancellationRequestsSubmittedSince(executor: Executor, since: string) {
  return executor
    .selectFrom('cancellation_requests')
    .select(['id', 'status', 'submitted_at', 'due_by'])
    .where('submitted_at', '>=', since)
    .execute();
}

/** The decisions (and withdrawals) on these requests, oldest first. */
export function decisionEventsOf(executor: Executor, requestIds: string[]) {
  return executor
    .selectFrom('cancellation_events')
    .select(['request_id', 'status', 'at', 'actor_type'])
    .where('status', 'in', ['approved', 'info_requested', 'rejected', 'withdrawn'])
    .where('request_id', 'in', requestIds)
    .orderBy('id')
    .execute();
}

/** Requests waiting for a decision; with `dueBefore`, only those due before it. */
export async function countWaitingCancellations(executor: Executor, dueBefore?: string): Promise<number> {
  let q = executor
    .selectFrom('cancellation_requests')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', WAITING);
  if (dueBefore !== undefined) q = q.where('due_by', '<', dueBefore);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export function ticketsOpenedSince(executor: Executor, since: string) {
  return executor
    .selectFrom('tickets')
    .select(['created_at', 'first_response_at', 'status'])
    .where('created_at', '>=', since)
    .execute();
}

/** Tickets not closed, counted per status. */
export function openTicketCounts(executor: Executor) {
  return executor
    .selectFrom('tickets')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '!=', 'closed')
    .groupBy('status')
    .execute();
}

/** Open tickets that no staff member has answered yet. */
export async function countUnansweredTickets(executor: Executor): Promise<number> {
  const row = await executor
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'open')
    .where('first_response_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
