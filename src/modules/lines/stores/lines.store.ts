import { AppError } from '../../../core/errors.js';
import type { Executor, Tx } from '../../../db/database.js';
import type { LineStatus, LinesTable } from '../../../db/schema.js';

/** An active line past its validity is expired, whether or not a job has recorded it yet. */
export function effectiveStatus(
  line: Pick<LinesTable, 'status' | 'expires_at'>,
  now: Date,
): LinesTable['status'] {
  return line.status === 'active' && line.expires_at !== null && line.expires_at <= now.toISOString()
    ? 'expired'
    : line.status;
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

export async function lineById(executor: Executor, lineId: string) {
  return executor.selectFrom('lines').selectAll().where('id', '=', lineId).executeTakeFirstOrThrow();
}

/** The account's lines, newest first. */
export async function linesOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('lines')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .execute();
}

/** The account's lines that have not ended (neither terminated nor failed). */
export async function openLinesOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('lines')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', 'not in', ['terminated', 'failed'])
    .execute();
}

/** The numbers of the account's lines that are in service or about to be (active, pending). */
export async function numbersInService(executor: Executor, accountId: string) {
  return executor
    .selectFrom('lines')
    .select('msisdn')
    .where('account_id', '=', accountId)
    .where('status', 'in', ['active', 'pending'])
    .execute();
}

export async function insertLine(executor: Executor, line: LinesTable): Promise<void> {
  await executor.insertInto('lines').values(line).execute();
}

export async function setLineStatus(
  executor: Executor,
  lineId: string,
  status: LineStatus,
  at: string,
): Promise<void> {
  await executor.updateTable('lines').set({ status, updated_at: at }).where('id', '=', lineId).execute();
}

/** The allowances and validity a plan starts a line with (activation, plan change). */
export interface PlanStart {
  activated_at: string;
  expires_at: string;
  data_bytes_left: number;
  voice_seconds_left: number;
  sms_left: number;
  updated_at: string;
}

/** A pending line becomes active with its plan's allowances (a no-op once it is not pending). */
export async function activatePendingLine(executor: Executor, lineId: string, start: PlanStart) {
  await executor
    .updateTable('lines')
    .set({ status: 'active', ...start })
    .where('id', '=', lineId)
    .where('status', '=', 'pending')
    .execute();
}

/** What a plan change replaces on the line, for its audit entry. */
export async function planOfLine(executor: Executor, lineId: string) {
  return executor
    .selectFrom('lines')
    .select(['plan_id', 'price', 'expires_at', 'data_bytes_left', 'voice_seconds_left', 'sms_left'])
    .where('id', '=', lineId)
    .executeTakeFirstOrThrow();
}

/** The line moves to another plan, paid `price`, which starts afresh. */
export async function startPlan(
  executor: Executor,
  lineId: string,
  plan: { plan_id: string; price: number },
  start: PlanStart,
): Promise<void> {
  await executor
    .updateTable('lines')
    .set({ plan_id: plan.plan_id, price: plan.price, ...start })
    .where('id', '=', lineId)
    .execute();
}

/** Adds to the remaining allowances (an add-on). */
export async function addToAllowances(
  executor: Executor,
  lineId: string,
  extra: { dataBytes: number; voiceSeconds: number; sms: number },
  at: string,
): Promise<void> {
  await executor
    .updateTable('lines')
    .set((eb) => ({
      data_bytes_left: eb('data_bytes_left', '+', extra.dataBytes),
      voice_seconds_left: eb('voice_seconds_left', '+', extra.voiceSeconds),
      sms_left: eb('sms_left', '+', extra.sms),
      updated_at: at,
    }))
    .where('id', '=', lineId)
    .execute();
}

/**
 * Writes back the allowances rating left on a line: usage calls it in its own rating transaction,
 * under the rating lock (db/locks.ts), for each line a batch, a rerate or an approved hold used.
 */
export async function saveRatedAllowances(
  tx: Tx,
  line: Pick<LinesTable, 'id' | 'data_bytes_left' | 'voice_seconds_left' | 'sms_left'>,
  at: string,
): Promise<void> {
  await tx
    .updateTable('lines')
    .set({
      data_bytes_left: line.data_bytes_left,
      voice_seconds_left: line.voice_seconds_left,
      sms_left: line.sms_left,
      updated_at: at,
    })
    .where('id', '=', line.id)
    .execute();
}
