import type { Insertable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { TestPaymentRecordsTable } from '../../db/schema.js';

/** Records a payment or refund the test provider was asked for; false when it was asked before. */
export async function insertRecord(
  executor: Executor,
  row: Insertable<TestPaymentRecordsTable>,
): Promise<boolean> {
  const inserted = await executor
    .insertInto('test_payment_records')
    .values(row)
    .onConflict((oc) => oc.column('object_id').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** What the test provider holds for one of our payments or refunds (of `kind`, when given). */
export function recordOf(executor: Executor, objectId: string, kind?: TestPaymentRecordsTable['kind']) {
  let query = executor
    .selectFrom('test_payment_records')
    .select(['status', 'event'])
    .where('object_id', '=', objectId);
  if (kind) query = query.where('kind', '=', kind);
  return query.executeTakeFirst();
}

/** The object settled with this event. */
export async function markSettled(executor: Executor, objectId: string, event: string, now: string) {
  await executor
    .updateTable('test_payment_records')
    .set({ status: 'settled', event, updated_at: now })
    .where('object_id', '=', objectId)
    .execute();
}
