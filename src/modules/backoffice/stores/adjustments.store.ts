import type { Selectable } from 'kysely';
import type { Executor } from '../../../db/database.js';
import type { AdjustmentStatus, AdjustmentsTable } from '../../../db/schema.js';

export type AdjustmentRow = Selectable<AdjustmentsTable>;

export async function insertAdjustment(executor: Executor, adjustment: AdjustmentRow): Promise<void> {
  await executor.insertInto('adjustments').values(adjustment).execute();
}

export function findAdjustment(executor: Executor, id: string) {
  return executor.selectFrom('adjustments').selectAll().where('id', '=', id).executeTakeFirst();
}

export function getAdjustment(executor: Executor, id: string) {
  return executor.selectFrom('adjustments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Posts or rejects an adjustment, naming who decided and when. */
export async function decideAdjustmentRow(
  executor: Executor,
  id: string,
  decision: { status: Exclude<AdjustmentStatus, 'pending_approval'>; decidedBy: string | null; at: string },
): Promise<void> {
  await executor
    .updateTable('adjustments')
    .set({ status: decision.status, decided_by: decision.decidedBy, decided_at: decision.at })
    .where('id', '=', id)
    .execute();
}

/** The sum of what one staff member posted on one account on their own authority since `since`. */
export async function selfApprovedTotalSince(
  executor: Executor,
  accountId: string,
  staffId: string,
  since: string,
): Promise<number> {
  const row = await executor
    .selectFrom('adjustments')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('total'))
    .where('account_id', '=', accountId)
    .where('requested_by', '=', staffId)
    .where('decided_by', '=', staffId)
    .where('status', '=', 'posted')
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

export function adjustmentsWaitingForApproval(executor: Executor) {
  return executor
    .selectFrom('adjustments')
    .selectAll()
    .where('status', '=', 'pending_approval')
    .orderBy('id')
    .execute();
}

export function adjustmentsOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('adjustments')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .execute();
}
