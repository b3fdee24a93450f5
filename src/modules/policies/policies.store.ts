import type { Executor } from '../../db/database.js';

/** Every policy set, as stored (JSON values). */
export function policyRows(executor: Executor) {
  return executor.selectFrom('policies').select(['key', 'value']).execute();
}

/** Sets one policy (its JSON value), by whom and when. */
export async function upsertPolicy(
  executor: Executor,
  row: { key: string; value: string; updatedBy: string | null; at: string },
): Promise<void> {
  await executor
    .insertInto('policies')
    .values({ key: row.key, value: row.value, updated_by: row.updatedBy, updated_at: row.at })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({ value: row.value, updated_by: row.updatedBy, updated_at: row.at }),
    )
    .execute();
}
