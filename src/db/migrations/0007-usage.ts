import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('service_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('revoked_at', timestamp(db))
    .execute();

  await db.schema
    .createTable('usage_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('record_id', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('line_id', 'text', (c) => c.notNull())
    .addColumn('iccid', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('started_at', timestamp(db), (c) => c.notNull())
    .addColumn('duration_seconds', 'integer')
    .addColumn('bytes', bigint(db))
    .addColumn('counterpart', 'text')
    .addColumn('direction', 'text')
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('charge', bigint(db), (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('usage_type', sql`type in ('voice', 'sms', 'data')`)
    .execute();
  await db.schema
    .createIndex('usage_by_account')
    .on('usage_records')
    .columns(['account_id', 'type', 'id'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('usage_records').execute();
  await db.schema.dropTable('service_keys').execute();
}
