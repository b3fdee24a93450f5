import { sql } from 'kysely';
import { type AnyDb, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('cancellation_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason_code', 'text')
    .addColumn('reason', 'text')
    .addColumn('submitted_at', timestamp(db), (c) => c.notNull())
    .addColumn('due_by', timestamp(db), (c) => c.notNull())
    .addColumn('checks', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint(
      'cancellation_status',
      sql`status in ('submitted', 'in_review', 'info_requested', 'approved', 'completed', 'rejected', 'withdrawn')`,
    )
    .execute();
  // One open request per account, enforced by the database (two submits at once: one wins).
  await db.schema
    .createIndex('cancellation_one_open')
    .on('cancellation_requests')
    .column('account_id')
    .unique()
    .where(sql.ref('status'), 'in', ['submitted', 'in_review', 'info_requested', 'approved'])
    .execute();
  await db.schema
    .createIndex('cancellation_by_status')
    .on('cancellation_requests')
    .columns(['status', 'due_by'])
    .execute();

  await db.schema
    .createTable('cancellation_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('cancellation_requests.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('at', timestamp(db), (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cancellation_events_by_request')
    .on('cancellation_events')
    .columns(['request_id', 'id'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('cancellation_events').execute();
  await db.schema.dropTable('cancellation_requests').execute();
}
