import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('network_preferences')
    .addColumn('line_id', 'text', (c) => c.notNull().references('lines.id'))
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('plmn', 'text', (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('network_preferences_pk', ['line_id', 'country'])
    .execute();

  await db.schema
    .createTable('addons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('names', 'text', (c) => c.notNull())
    .addColumn('data_mb', 'integer', (c) => c.notNull())
    .addColumn('voice_minutes', 'integer', (c) => c.notNull())
    .addColumn('sms', 'integer', (c) => c.notNull())
    .addColumn('price', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('addon_status', sql`status in ('active', 'retired')`)
    .execute();

  await db.schema
    .createTable('line_addons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('line_id', 'text', (c) => c.notNull().references('lines.id'))
    .addColumn('addon_id', 'text', (c) => c.notNull().references('addons.id'))
    .addColumn('price', bigint(db), (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('line_addons_by_line').on('line_addons').columns(['line_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['line_addons', 'addons', 'network_preferences'])
    await db.schema.dropTable(table).execute();
}
