import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type {
  CancellationEventsTable,
  CancellationRequestsTable,
  CancellationStatus,
} from '../../db/schema.js';

export type CancellationRequestRow = Selectable<CancellationRequestsTable>;

const WAITING: CancellationStatus[] = ['submitted', 'in_review', 'info_requested'];

export async function insertRequest(
  executor: Executor,
  request: Insertable<CancellationRequestsTable>,
): Promise<void> {
  await executor.insertInto('cancellation_requests').values(request).execute();
}

export async function insertEvent(
  executor: Executor,
  event: Insertable<CancellationEventsTable>,
): Promise<void> {
  await executor.insertInto('cancellation_events').values(event).execute();
}

/**
 * Moves the request to `status` if it is still at `version` (bumping it); answers whether it moved.
 * Two reviewers deciding at once: only one moves it.
 */
export async function moveRequest(
  executor: Executor,
  request: { id: string; version: number },
  change: { status: CancellationStatus; checks?: string; at: string },
): Promise<boolean> {
  const { status, checks, at } = change;
  const moved = await executor
    .updateTable('cancellation_requests')
    .set({
      ...(checks === undefined ? {} : { checks }),
      status,
      version: request.version + 1,
      updated_at: at,
    })
    .where('id', '=', request.id)
    .where('version', '=', request.version)
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) === 1;
}

export function findRequest(executor: Executor, requestId: string) {
  return executor
    .selectFrom('cancellation_requests')
    .selectAll()
    .where('id', '=', requestId)
    .executeTakeFirst();
}

export function getRequest(executor: Executor, requestId: string) {
  return executor
    .selectFrom('cancellation_requests')
    .selectAll()
    .where('id', '=', requestId)
    .executeTakeFirstOrThrow();
}

export function findRequestOfAccount(executor: Executor, accountId: string, requestId: string) {
  return executor
    .selectFrom('cancellation_requests')
    .selectAll()
    .where('id', '=', requestId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export function latestRequestOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('cancellation_requests')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export function requestsOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('cancellation_requests')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .execute();
}

/** The review queue by due date: requests in `status`, or all those waiting for a decision (500 at most). */
export function queuedRequests(executor: Executor, status: CancellationStatus | undefined) {
  let q = executor.selectFrom('cancellation_requests').selectAll().orderBy('due_by').limit(500);
  q = status ? q.where('status', '=', status) : q.where('status', 'in', WAITING);
  return q.execute();
}

/** The due dates of requests waiting past them, earliest first. */
export function overdueDueDates(executor: Executor, now: string) {
  return executor
    .selectFrom('cancellation_requests')
    .select(['due_by'])
    .where('status', 'in', WAITING)
    .where('due_by', '<', now)
    .orderBy('due_by')
    .execute();
}

export async function hasRequestIn(
  executor: Executor,
  accountId: string,
  statuses: CancellationStatus[],
): Promise<boolean> {
  return (
    (await executor
      .selectFrom('cancellation_requests')
      .select('id')
      .where('account_id', '=', accountId)
      .where('status', 'in', statuses)
      .executeTakeFirst()) !== undefined
  );
}

export function eventsOfRequest(executor: Executor, requestId: string) {
  return executor
    .selectFrom('cancellation_events')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('id')
    .execute();
}

/** Clears the reasons and notes of the account's requests (their states and dates stay). */
export async function clearReasonsAndNotes(executor: Executor, accountId: string): Promise<void> {
  await executor
    .updateTable('cancellation_requests')
    .set({ reason: null })
    .where('account_id', '=', accountId)
    .execute();
  const requests = executor
    .selectFrom('cancellation_requests')
    .select('id')
    .where('account_id', '=', accountId);
  await executor
    .updateTable('cancellation_events')
    .set({ note: null })
    .where('request_id', 'in', requests)
    .execute();
}

// Reads of identity's accounts (identity writes them).

/** Reviewers and admins who are not disabled. */
export function activeReviewers(executor: Executor) {
  return executor
    .selectFrom('accounts')
    .selectAll()
    .where('role', 'in', ['reviewer', 'admin'])
    .where('disabled_at', 'is', null)
    .execute();
}

/** The email addresses of these accounts (staff named in a request's history). */
export function emailsOfAccounts(executor: Executor, ids: string[]) {
  return executor.selectFrom('accounts').select(['id', 'email']).where('id', 'in', ids).execute();
}

/** Who the customer of a request is, for a reviewer. */
export function customerOfRequest(executor: Executor, accountId: string) {
  return executor
    .selectFrom('accounts')
    .select(['email', 'phone', 'status', 'created_at'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
}

/** The latest decisions by staff or the system, newest first, with the request and its customer's contact. */
export function decisionsWithAccounts(
  executor: Executor,
  decisions: readonly CancellationStatus[],
  limit: number,
) {
  return executor
    .selectFrom('cancellation_events as e')
    .innerJoin('cancellation_requests as r', 'r.id', 'e.request_id')
    .innerJoin('accounts as a', 'a.id', 'r.account_id')
    .select([
      'e.id as eventId',
      'e.status as decision',
      'e.note',
      'e.at',
      'e.actor_type',
      'e.actor_id',
      'r.id',
      'r.account_id',
      'r.status',
      'a.email',
      'a.phone',
    ])
    .where('e.status', 'in', [...decisions])
    .where('e.actor_type', 'in', ['staff', 'system'])
    .orderBy('e.id', 'desc')
    .limit(limit)
    .execute();
}

/** The account's open request to close (any but `ignore`), if there is one. */
export function openRequestOf(executor: Executor, accountId: string, ignore?: string) {
  let query = executor
    .selectFrom('cancellation_requests')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', 'in', ['submitted', 'in_review', 'info_requested', 'approved']);
  if (ignore) query = query.where('id', '!=', ignore);
  return query.executeTakeFirst();
}

/**
 * Accounts deregistered by a request completed before `cutoff` and not erased yet (accounts is
 * identity's table: read only, joined to this module's requests).
 */
export async function deregisteredBefore(executor: Executor, cutoff: string): Promise<string[]> {
  const rows = await executor
    .selectFrom('accounts')
    .innerJoin('cancellation_requests', 'cancellation_requests.account_id', 'accounts.id')
    .select('accounts.id')
    .where('accounts.status', '=', 'deregistered')
    .where('accounts.erased_at', 'is', null)
    .where('cancellation_requests.status', '=', 'completed')
    .where('cancellation_requests.updated_at', '<', cutoff)
    .distinct()
    .execute();
  return rows.map((r) => r.id);
}
