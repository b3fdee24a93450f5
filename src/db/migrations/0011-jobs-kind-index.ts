import type { AnyDb } from './util.js';

// jobs_kind (kind, status) served one rare query, the erasure scrub of unsent notices, which now
// narrows by status through jobs_due; every job insert and status change paid for it.
export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('jobs_kind').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.createIndex('jobs_kind').on('jobs').columns(['kind', 'status']).execute();
}
