import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('plans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('names', 'text', (c) => c.notNull())
    .addColumn('region', 'text')
    .addColumn('data_mb', 'integer', (c) => c.notNull())
    .addColumn('voice_minutes', 'integer', (c) => c.notNull())
    .addColumn('sms', 'integer', (c) => c.notNull())
    .addColumn('validity_days', 'integer', (c) => c.notNull())
    .addColumn('price', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('overage', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('plan_status', sql`status in ('active', 'retired')`)
    .addCheckConstraint(
      'plan_amounts',
      sql`data_mb >= 0 and voice_minutes >= 0 and sms >= 0 and validity_days > 0 and price >= 0`,
    )
    .execute();
  await db.schema
    .createTable('plan_countries')
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id'))
    .addColumn('country', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('plan_countries_pk', ['plan_id', 'country'])
    .execute();
  await db.schema
    .createIndex('plan_countries_by_country')
    .on('plan_countries')
    .columns(['country', 'plan_id'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('plan_countries').execute();
  await db.schema.dropTable('plans').execute();
}
