import { type Insertable, sql, type Updateable } from 'kysely';
import { AppError } from '../../core/errors.js';
import type { Dialect, Executor, Tx } from '../../db/database.js';
import { bulkInsert, preparedList } from '../../db/prepared.js';
import type {
  ServiceKeysTable,
  UsageHoldStatus,
  UsageHoldsTable,
  UsageRecordsTable,
  UsageType,
} from '../../db/schema.js';

/** Where a page of the usage list ends: the list runs newest first by start time, then id. */
export interface UsagePosition {
  startedAt: string;
  id: string;
}

const POSITION = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (usg_[0-9A-Z]{26})$/;

export function encodeUsageCursor(position: UsagePosition): string {
  return Buffer.from(`${position.startedAt} ${position.id}`, 'utf8').toString('base64url');
}

export function decodeUsageCursor(cursor: string | undefined): UsagePosition | undefined {
  if (cursor === undefined) return undefined;
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new AppError(
      'VALIDATION_FAILED',
      { field: 'cursor', in: 'querystring' },
      { reason: 'cursor is not valid' },
    );
  return { startedAt: match[1]!, id: match[2]! };
}

export interface UsageListFilter {
  type?: UsageType;
  /** Records that started at or after this instant. */
  from?: string;
  /** Records that started before this instant. */
  to?: string;
  after?: UsagePosition;
  limit: number;
}

/**
 * One page of a subscriber's usage records, newest first. Every bound is on started_at, the partition
 * key on PostgreSQL, so the query reads only the months it can find rows in: `from` (at the latest the
 * first month retention keeps) and `to` or the previous page's end.
 */
export function usageListQuery(executor: Executor, accountId: string, filter: UsageListFilter) {
  let query = executor
    .selectFrom('usage_records')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.from) query = query.where('started_at', '>=', filter.from);
  if (filter.to) query = query.where('started_at', '<', filter.to);
  const after = filter.after;
  if (after)
    query = query
      .where('started_at', '<=', after.startedAt)
      .where((eb) => eb.or([eb('started_at', '<', after.startedAt), eb('id', '<', after.id)]));
  return query;
}

/** One page of a subscriber's usage records (see usageListQuery): up to `limit + 1` rows. */
export function usagePage(executor: Executor, accountId: string, filter: UsageListFilter) {
  return usageListQuery(executor, accountId, filter).execute();
}

export async function insertServiceKey(executor: Executor, key: Insertable<ServiceKeysTable>) {
  await executor.insertInto('service_keys').values(key).execute();
}

/** Revokes the keys of that name not yet revoked; answers how many. */
export async function revokeServiceKeysNamed(executor: Executor, name: string, at: string): Promise<number> {
  const result = await executor
    .updateTable('service_keys')
    .set({ revoked_at: at })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function serviceKeyByHash(executor: Executor, keyHash: string) {
  return executor
    .selectFrom('service_keys')
    .select('revoked_at')
    .where('key_hash', '=', keyHash)
    .executeTakeFirst();
}

const DEDUPE_CHUNK = 500;
const knownRecordIds = preparedList(DEDUPE_CHUNK, (executor, ids) =>
  executor.selectFrom('usage_records').select('record_id').where('record_id', 'in', ids),
);
const heldRecordIds = preparedList(DEDUPE_CHUNK, (executor, ids) =>
  executor.selectFrom('usage_holds').select('record_id').where('record_id', 'in', ids),
);

/**
 * The record ids among `ids` already counted: posted or held. On PostgreSQL the posted ones are in
 * usage_record_keys (usage_records is partitioned by month, so its own keys include started_at): one
 * lookup of the whole batch there, whatever the number of months.
 */
export async function countedRecordIds(tx: Tx, dialect: Dialect, ids: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  if (dialect === 'postgres') {
    const { rows } = await sql<{ record_id: string }>`
      select record_id from usage_record_keys where record_id = any(${ids}::text[])
      union all select record_id from usage_holds where record_id = any(${ids}::text[])`.execute(tx);
    for (const row of rows) seen.add(row.record_id);
    return seen;
  }
  for (let i = 0; i < ids.length; i += DEDUPE_CHUNK) {
    const chunk = ids.slice(i, i + DEDUPE_CHUNK);
    for (const e of await knownRecordIds(tx, chunk)) seen.add(e.record_id);
    for (const e of await heldRecordIds(tx, chunk)) seen.add(e.record_id);
  }
  return seen;
}

const insertUsageRecords = bulkInsert('usage_records', [
  'id',
  'record_id',
  'account_id',
  'line_id',
  'iccid',
  'type',
  'started_at',
  'duration_seconds',
  'bytes',
  'counterpart',
  'direction',
  'country',
  'charge',
  'created_at',
]);

/**
 * Writes usage records and, on PostgreSQL, their record ids to usage_record_keys (in one statement),
 * so a record is counted once whatever its month.
 */
export async function addUsageRecords(tx: Tx, dialect: Dialect, rows: UsageRecordsTable[]): Promise<void> {
  await insertUsageRecords(tx, rows);
  if (dialect !== 'postgres' || rows.length === 0) return;
  const ids = rows.map((r) => r.record_id);
  await sql`insert into usage_record_keys (record_id) select unnest(${ids}::text[])`.execute(tx);
}

/** The lines of up to 500 ICCIDs, each row with the ICCID it was found by (`esim_iccid`). */
export function linesByIccids(tx: Tx, iccids: string[]) {
  return tx
    .selectFrom('esims')
    .innerJoin('lines', 'lines.id', 'esims.line_id')
    .selectAll('lines')
    .select('esims.iccid as esim_iccid')
    .where('esims.iccid', 'in', iccids)
    .execute();
}

export function findLine(executor: Executor, lineId: string) {
  return executor.selectFrom('lines').selectAll().where('id', '=', lineId).executeTakeFirst();
}

/** The add-ons bought on a line since `since`, in the order they were bought. */
export function addonsBoughtSince(tx: Tx, lineId: string, since: string) {
  return tx
    .selectFrom('line_addons')
    .innerJoin('addons', 'addons.id', 'line_addons.addon_id')
    .select(['line_addons.created_at', 'addons.data_mb', 'addons.voice_minutes', 'addons.sms'])
    .where('line_addons.line_id', '=', lineId)
    .where('line_addons.created_at', '>=', since)
    .orderBy('line_addons.created_at')
    .orderBy('line_addons.id')
    .execute();
}

/** A line's usage records that started since `since`, in the order they happened. */
export function lineRecordsSince(tx: Tx, lineId: string, since: string) {
  return tx
    .selectFrom('usage_records')
    .selectAll()
    .where('line_id', '=', lineId)
    .where('started_at', '>=', since)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
}

export async function setRecordCharge(
  tx: Tx,
  record: Pick<UsageRecordsTable, 'id' | 'started_at'>,
  charge: number,
): Promise<void> {
  await tx
    .updateTable('usage_records')
    .set({ charge })
    .where('id', '=', record.id)
    // The partition key: on PostgreSQL the update goes to the record's month only.
    .where('started_at', '=', record.started_at)
    .execute();
}

export async function insertHolds(tx: Tx, rows: UsageHoldsTable[]): Promise<void> {
  await tx.insertInto('usage_holds').values(rows).execute();
}

/** A page of held records in one status, oldest first: up to `limit + 1` rows after `after`. */
export function holdsPage(
  executor: Executor,
  filter: { status: UsageHoldStatus; after: string | undefined; limit: number },
) {
  let query = executor
    .selectFrom('usage_holds')
    .selectAll()
    .where('status', '=', filter.status)
    .orderBy('id')
    .limit(filter.limit + 1);
  if (filter.after) query = query.where('id', '>', filter.after);
  return query.execute();
}

export function findHold(executor: Executor, id: string) {
  return executor.selectFrom('usage_holds').selectAll().where('id', '=', id).executeTakeFirst();
}

export function getHold(executor: Executor, id: string) {
  return executor.selectFrom('usage_holds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Records staff's decision on a hold still `held` (a hold decided meanwhile is left as it is). */
export async function decideHeld(tx: Tx, id: string, decision: Updateable<UsageHoldsTable>): Promise<void> {
  await tx
    .updateTable('usage_holds')
    .set(decision)
    .where('id', '=', id)
    .where('status', '=', 'held')
    .execute();
}

/** Removes the decided held records that started in [from, to); one still waiting for staff stays. */
export async function removeDecidedHolds(tx: Tx, from: string, to: string): Promise<number> {
  const result = await tx
    .deleteFrom('usage_holds')
    .where('status', '!=', 'held')
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** SQLite: the months (`YYYY-MM`) of the usage records that started before `cutoff`. */
export async function recordMonthsBefore(executor: Executor, cutoff: string): Promise<string[]> {
  const rows = await executor
    .selectFrom('usage_records')
    .select(sql<string>`substr(started_at, 1, 7)`.as('month'))
    .where('started_at', '<', cutoff)
    .groupBy(sql`substr(started_at, 1, 7)`)
    .execute();
  return rows.map((row) => row.month);
}

/** When the decided held records that started before `cutoff` started. */
export async function decidedHoldStartsBefore(executor: Executor, cutoff: string): Promise<string[]> {
  const holds = await executor
    .selectFrom('usage_holds')
    .select('started_at')
    .where('status', '!=', 'held')
    .where('started_at', '<', cutoff)
    .execute();
  return holds.map((hold) => hold.started_at);
}
