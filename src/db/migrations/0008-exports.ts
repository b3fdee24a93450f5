import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('file', 'text')
    .addColumn('size', bigint(db))
    .addColumn('error', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('ready_at', timestamp(db))
    .addCheckConstraint('export_status', sql`status in ('pending', 'ready', 'failed')`)
    .execute();
  await db.schema.createIndex('exports_by_account').on('exports').columns(['account_id', 'id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('exports').execute();
}
