import { type AnyDb, timestamp } from './util.js';

// /readyz proves the database takes writes by writing this one row (see src/modules/ops/readiness.ts):
// a read-only file or database, a standby or a lost connection fail it.
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('ops_heartbeat')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('beat_at', timestamp(db), (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('ops_heartbeat').execute();
}
