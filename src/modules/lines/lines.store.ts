import { AppError } from '../../core/errors.js';
import type { Executor } from '../../db/database.js';
import type { Es2CallsTable, LinesTable } from '../../db/schema.js';
import { makeIccid } from '../../telecom/iccid.js';
import type { ProgressAnswer } from './download-progress.js';

/** An active line past its validity is expired, whether or not a job has recorded it yet. */
export function effectiveStatus(
  line: Pick<LinesTable, 'status' | 'expires_at'>,
  now: Date,
): LinesTable['status'] {
  return line.status === 'active' && line.expires_at !== null && line.expires_at <= now.toISOString()
    ? 'expired'
    : line.status;
}

/**
 * The next ICCID of the operator's range after the highest any eSIM holds (null when the range is
 * used up). Two runners may pick the same one: esims.iccid is unique, so the second to record it
 * fails (isUniqueViolation) and picks again.
 */
export async function nextIccid(
  executor: Executor,
  range: { prefix: string; length: 19 | 20 },
): Promise<string | null> {
  const top = await executor
    .selectFrom('esims')
    .select('iccid')
    .where('iccid', 'like', `${range.prefix}%`)
    .orderBy('iccid', 'desc')
    .limit(1)
    .executeTakeFirst();
  const serial = top?.iccid?.length === range.length ? Number(top.iccid.slice(range.prefix.length, -1)) : 0;
  try {
    return makeIccid(range.prefix, serial + 1, range.length);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** A unique index refused the write (PostgreSQL 23505, SQLite's UNIQUE / PRIMARY KEY constraints). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** One of the subscriber's lines (404 LINE_NOT_FOUND for anyone else's). */
export async function ownLine(executor: Executor, accountId: string, lineId: string) {
  const line = await executor
    .selectFrom('lines')
    .selectAll()
    .where('id', '=', lineId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!line) throw new AppError('LINE_NOT_FOUND', { field: 'id' });
  return line;
}

/** One of the subscriber's lines that is active now (409 LINE_NOT_ACTIVE otherwise). */
export async function ownActiveLine(executor: Executor, accountId: string, lineId: string, now: Date) {
  const line = await ownLine(executor, accountId, lineId);
  const status = effectiveStatus(line, now);
  if (status !== 'active') throw new AppError('LINE_NOT_ACTIVE', { status });
  return line;
}

/** A device the subscriber has bound now (404 DEVICE_NOT_FOUND for unbound or anyone else's). */
export async function boundDevice(executor: Executor, accountId: string, deviceId: string) {
  const device = await executor
    .selectFrom('devices')
    .selectAll()
    .where('id', '=', deviceId)
    .where('account_id', '=', accountId)
    .where('unbound_at', 'is', null)
    .executeTakeFirst();
  if (!device) throw new AppError('DEVICE_NOT_FOUND', { field: 'id' });
  return device;
}

/**
 * Records an ES2+ call by its requester and functionCallIdentifier: true when this is its first
 * arrival, else the answer the first one got. A concurrent twin waits on the key until the first
 * commits (PostgreSQL) or for the one writer (SQLite), then reads that answer.
 */
export async function claimEs2Call(executor: Executor, call: Es2CallsTable): Promise<true | ProgressAnswer> {
  const inserted = await executor
    .insertInto('es2_calls')
    .values(call)
    .onConflict((oc) => oc.columns(['requester', 'call_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
  const prior = await executor
    .selectFrom('es2_calls')
    .selectAll()
    .where('requester', '=', call.requester)
    .where('call_id', '=', call.call_id)
    .executeTakeFirstOrThrow();
  if (prior.outcome !== 'refused')
    return { outcome: prior.outcome === 'pending' ? 'ignored' : prior.outcome };
  return {
    outcome: 'refused',
    code: {
      subjectCode: prior.subject_code ?? '1.2',
      reasonCode: prior.reason_code ?? '3.8',
      ...(prior.subject_identifier ? { subjectIdentifier: prior.subject_identifier } : {}),
    },
    message: prior.message ?? 'refused',
  };
}

/** Stores the answer an ES2+ call got, for its repeats. */
export async function finishEs2Call(
  executor: Executor,
  requester: string,
  callId: string,
  answer: ProgressAnswer,
): Promise<void> {
  const refused = answer.outcome === 'refused';
  await executor
    .updateTable('es2_calls')
    .set({
      outcome: answer.outcome,
      subject_code: refused ? answer.code.subjectCode : null,
      reason_code: refused ? answer.code.reasonCode : null,
      subject_identifier: refused ? (answer.code.subjectIdentifier ?? null) : null,
      message: refused ? answer.message.slice(0, 500) : null,
    })
    .where('requester', '=', requester)
    .where('call_id', '=', callId)
    .execute();
}

/**
 * What the add-ons bought in the line's current allowance period add to its plan's allowances: a
 * plan change restarts the allowances, so only add-ons bought since the (re)activation count.
 */
export async function addonAllowances(executor: Executor, line: LinesTable) {
  const extra = await executor
    .selectFrom('line_addons')
    .innerJoin('addons', 'addons.id', 'line_addons.addon_id')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('addons.data_mb'), eb.lit(0)).as('dataMb'),
      eb.fn.coalesce(eb.fn.sum<number>('addons.voice_minutes'), eb.lit(0)).as('voiceMinutes'),
      eb.fn.coalesce(eb.fn.sum<number>('addons.sms'), eb.lit(0)).as('sms'),
    ])
    .where('line_addons.line_id', '=', line.id)
    .where('line_addons.created_at', '>=', line.activated_at ?? line.created_at)
    .executeTakeFirstOrThrow();
  return { dataMb: Number(extra.dataMb), voiceMinutes: Number(extra.voiceMinutes), sms: Number(extra.sms) };
}
