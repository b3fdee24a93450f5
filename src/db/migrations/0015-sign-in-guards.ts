import { type AnyDb, timestamp } from './util.js';

/**
 * Failed one-time-code entries, kept 24 hours, for the per-address ceiling and the per-target one
 * (issue 17, items 4 and 5); and each recipient check a subscriber makes, kept an hour, for its limit
 * (item 8). Addresses are stored as keyed hashes, so these rows hold no personal data.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sign_in_failures_by_target')
    .on('sign_in_failures')
    .columns(['target_key', 'created_at'])
    .execute();

  await db.schema
    .createTable('recipient_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('recipient_checks_by_account')
    .on('recipient_checks')
    .columns(['account_id', 'created_at'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('recipient_checks').execute();
  await db.schema.dropTable('sign_in_failures').execute();
}
