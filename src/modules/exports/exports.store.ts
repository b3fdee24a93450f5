import { sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../db/database.js';

// Exports

/**
 * Two requests of one subscriber are counted one after the other: on PostgreSQL a transaction lock
 * per account (SQLite runs one transaction at a time).
 */
export async function lockExportsOfAccount(executor: Executor, dialect: Dialect, accountId: string) {
  if (dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(7304, hashtext(${accountId}))`.execute(executor);
}

/** The account's exports still pending or asked for since `since`, oldest first. */
export function pendingOrRecentExports(executor: Executor, accountId: string, since: string) {
  return executor
    .selectFrom('exports')
    .select(['id', 'status', 'created_at'])
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('status', '=', 'pending'), eb('created_at', '>', since)]))
    .orderBy('id')
    .execute();
}

export async function insertPendingExport(
  executor: Executor,
  row: { id: string; account_id: string; created_at: string },
): Promise<void> {
  await executor
    .insertInto('exports')
    .values({ id: row.id, account_id: row.account_id, status: 'pending', created_at: row.created_at })
    .execute();
}

export function findExportOfAccount(executor: Executor, accountId: string, exportId: string) {
  return executor
    .selectFrom('exports')
    .selectAll()
    .where('id', '=', exportId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export function findExport(executor: Executor, exportId: string) {
  return executor.selectFrom('exports').selectAll().where('id', '=', exportId).executeTakeFirst();
}

export function getExport(executor: Executor, exportId: string) {
  return executor.selectFrom('exports').selectAll().where('id', '=', exportId).executeTakeFirstOrThrow();
}

/** The ids of the account's latest `limit` exports, newest first. */
export function latestExportIds(executor: Executor, accountId: string, limit: number) {
  return executor
    .selectFrom('exports')
    .select('id')
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function markExportReady(
  executor: Executor,
  exportId: string,
  ready: { file: string; size: number; at: string },
): Promise<void> {
  await executor
    .updateTable('exports')
    .set({ status: 'ready', file: ready.file, size: ready.size, ready_at: ready.at })
    .where('id', '=', exportId)
    .execute();
}

export async function markExportFailed(executor: Executor, exportId: string, error: string): Promise<void> {
  await executor.updateTable('exports').set({ status: 'failed', error }).where('id', '=', exportId).execute();
}

/** The files of the account's exports that have one. */
export function exportFilesOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('exports')
    .select('file')
    .where('account_id', '=', accountId)
    .where('file', 'is not', null)
    .execute();
}

/** Every export of the account forgets its file and reads as failed with this reason. */
export async function forgetExportFilesOfAccount(executor: Executor, accountId: string, error: string) {
  await executor
    .updateTable('exports')
    .set({ status: 'failed', file: null, error })
    .where('account_id', '=', accountId)
    .execute();
}

// What the archive reads of other modules' tables (read only)

export function getAccount(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}

/** A page of the wallet's postings (either side), by id, after `after`. */
export function walletPostingsPage(db: Db, walletId: string, after: string | null, limit: number) {
  let q = db
    .selectFrom('ledger_postings')
    .select([
      'id',
      'created_at',
      'kind',
      'amount',
      'credit_id',
      'credit_balance_after',
      'debit_balance_after',
      'currency',
      'reference_id',
    ])
    .where((eb) => eb.or([eb('debit_id', '=', walletId), eb('credit_id', '=', walletId)]))
    .orderBy('id')
    .limit(limit);
  if (after) q = q.where('id', '>', after);
  return q.execute();
}

/** A page of the wallet's forfeit postings, by id, after `after`. */
export function forfeitPostingsPage(db: Db, walletId: string, after: string | null, limit: number) {
  let q = db
    .selectFrom('ledger_postings')
    .select(['id', 'created_at', 'amount', 'currency', 'debit_balance_after', 'reference_id'])
    .where('debit_id', '=', walletId)
    .where('kind', '=', 'forfeit')
    .orderBy('id')
    .limit(limit);
  if (after) q = q.where('id', '>', after);
  return q.execute();
}

const USAGE_COLUMNS = [
  'id',
  'record_id',
  'started_at',
  'duration_seconds',
  'bytes',
  'counterpart',
  'direction',
  'country',
  'charge',
] as const;

/**
 * A page of one type of a subscriber's usage records within one month, oldest first (by start, then
 * id), after `after`. Bounded by the month on started_at, the partition key on PostgreSQL, it reads
 * that month's partition only.
 */
export function usageExportPage(
  db: Db,
  accountId: string,
  type: 'voice' | 'sms' | 'data',
  month: { from: string; to: string },
  after: { startedAt: string; id: string } | null,
  limit: number,
) {
  let q = db
    .selectFrom('usage_records')
    .select(USAGE_COLUMNS)
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .where('started_at', '>=', after ? after.startedAt : month.from)
    .where('started_at', '<', month.to)
    .orderBy('started_at')
    .orderBy('id')
    .limit(limit);
  if (after) q = q.where((eb) => eb.or([eb('started_at', '>', after.startedAt), eb('id', '>', after.id)]));
  return q;
}

/** When the subscriber's first and last record of a type started. */
export function usageSpan(db: Db, accountId: string, type: 'voice' | 'sms' | 'data') {
  return db
    .selectFrom('usage_records')
    .select((eb) => [eb.fn.min('started_at').as('first'), eb.fn.max('started_at').as('last')])
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .executeTakeFirst();
}

/** Every device the account ever had, with its profile's ICCID, in the order they were bound. */
export function devicesOfAccount(db: Db, accountId: string) {
  return db
    .selectFrom('devices')
    .innerJoin('esims', 'esims.id', 'devices.esim_id')
    .selectAll('devices')
    .select('esims.iccid')
    .where('devices.account_id', '=', accountId)
    .orderBy('devices.bound_at')
    .execute();
}
