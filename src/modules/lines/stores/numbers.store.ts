import type { Executor } from '../../../db/database.js';
import type { NumbersTable } from '../../../db/schema.js';

/**
 * The number that has waited longest among those assignable at `at`. With `lock` (PostgreSQL) the
 * row is locked and numbers other transactions hold are skipped, so two purchases take two numbers.
 */
export async function firstFreeNumber(executor: Executor, at: string, lock: boolean) {
  let free = executor
    .selectFrom('numbers')
    .select('msisdn')
    .where('status', 'in', ['available', 'quarantined'])
    .where('available_from', '<=', at)
    .orderBy('available_from')
    .orderBy('msisdn')
    .limit(1);
  if (lock) free = free.forUpdate().skipLocked();
  return (await free.executeTakeFirst())?.msisdn;
}

export async function assignNumber(executor: Executor, msisdn: string, lineId: string, at: string) {
  await executor
    .updateTable('numbers')
    .set({ status: 'assigned', line_id: lineId, updated_at: at })
    .where('msisdn', '=', msisdn)
    .execute();
}

export async function countNumbers(executor: Executor): Promise<number> {
  const count = await executor
    .selectFrom('numbers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(count.n);
}

/** Adds an available number unless it exists; true when it was added. */
export async function addNumberIfNew(executor: Executor, msisdn: string, at: string): Promise<boolean> {
  const inserted = await executor
    .insertInto('numbers')
    .values({ msisdn, status: 'available', line_id: null, available_from: at, updated_at: at })
    .onConflict((oc) => oc.column('msisdn').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The number leaves its line: available (or quarantined) from `availableFrom`. */
export async function releaseNumber(
  executor: Executor,
  msisdn: string,
  status: Extract<NumbersTable['status'], 'available' | 'quarantined'>,
  availableFrom: string,
  at: string,
): Promise<void> {
  await executor
    .updateTable('numbers')
    .set({ status, line_id: null, available_from: availableFrom, updated_at: at })
    .where('msisdn', '=', msisdn)
    .execute();
}
