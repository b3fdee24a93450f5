import type { Executor } from '../../db/database.js';
import { bulkInsert } from '../../db/prepared.js';
import type { AuditRow } from '../../db/schema.js';

/** Every change writes an entry, so the insert is compiled once. */
const insertEntry = bulkInsert('audit_log', [
  'id',
  'actor_type',
  'actor_id',
  'action',
  'subject_type',
  'subject_id',
  'account_id',
  'before',
  'after',
  'request_id',
  'created_at',
]);

/**
 * Appends one entry, pipelined: it is sent at once and its outcome checked when the transaction's next
 * statement or commit reports a failure (see prepared.ts, Wait).
 */
export function appendEntry(executor: Executor, row: AuditRow): Promise<unknown> {
  return insertEntry.later(executor, [row]);
}

export interface EntryQuery {
  subject?: string;
  accountId?: string;
  /** An exact action or a prefix ending in a dot. */
  action?: string;
  actorId?: string;
  /** Entries by this account id as well (the `actor` filter given an id). */
  actorAlso?: string;
  /** Entries by the staff member with this email address (accounts is identity's; read only). */
  actorEmail?: string;
  from?: string;
  to?: string;
  /** Entries before this id (the page cursor). */
  before?: string;
  limit: number;
}

/** Entries newest first, `limit` of them (the caller asks one more to know whether a page follows). */
export function entries(executor: Executor, q: EntryQuery): Promise<AuditRow[]> {
  let query = executor.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.subject) query = query.where('subject_id', '=', q.subject);
  if (q.accountId) query = query.where('account_id', '=', q.accountId);
  if (q.action?.endsWith('.')) query = query.where('action', 'like', `${q.action}%`);
  else if (q.action) query = query.where('action', '=', q.action);
  if (q.actorId) query = query.where('actor_id', '=', q.actorId);
  if (q.actorAlso) query = query.where('actor_id', '=', q.actorAlso);
  const email = q.actorEmail;
  if (email)
    query = query.where('actor_id', 'in', (eb) =>
      eb.selectFrom('accounts').select('id').where('email', '=', email),
    );
  if (q.from) query = query.where('created_at', '>=', q.from);
  if (q.to) query = query.where('created_at', '<', q.to);
  if (q.before) query = query.where('id', '<', q.before);
  return query.execute();
}

/** The email addresses of these accounts (identity's table, read only), for naming staff in the trail. */
export function emailsOf(executor: Executor, ids: string[]) {
  return executor.selectFrom('accounts').select(['id', 'email']).where('id', 'in', ids).execute();
}
