import type { Executor } from '../../db/database.js';

/** Writes the readiness heartbeat (proves the database takes a write). */
export async function beat(executor: Executor, id: string, at: string): Promise<void> {
  await executor
    .insertInto('ops_heartbeat')
    .values({ id, beat_at: at })
    .onConflict((oc) => oc.column('id').doUpdateSet({ beat_at: at }))
    .execute();
}
