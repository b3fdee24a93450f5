import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('numbers')
    .addColumn('msisdn', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('line_id', 'text')
    .addColumn('available_from', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('number_status', sql`status in ('available', 'assigned', 'quarantined')`)
    .execute();
  await db.schema.createIndex('numbers_free').on('numbers').columns(['status', 'available_from']).execute();

  await db.schema
    .createTable('lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id'))
    .addColumn('msisdn', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('price', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('data_bytes_left', bigint(db))
    .addColumn('voice_seconds_left', bigint(db))
    .addColumn('sms_left', 'integer')
    .addColumn('activated_at', timestamp(db))
    .addColumn('expires_at', timestamp(db))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint(
      'line_status',
      sql`status in ('pending', 'active', 'expired', 'failed', 'suspended', 'terminated')`,
    )
    .execute();
  await db.schema.createIndex('lines_by_account').on('lines').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('esims')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('line_id', 'text', (c) => c.notNull().references('lines.id'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('iccid', 'text', (c) => c.unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('matching_id', 'text')
    .addColumn('activation_code', 'text')
    .addColumn('eid', 'text')
    .addColumn('failure', 'text')
    .addColumn('replaces_esim_id', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint(
      'esim_state',
      sql`state in ('ordering', 'allocated', 'released', 'downloaded', 'installed', 'disabling', 'unusable', 'failed')`,
    )
    .execute();
  await db.schema.createIndex('esims_by_line').on('esims').columns(['line_id']).execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('line_id', 'text', (c) => c.notNull().references('lines.id'))
    .addColumn('esim_id', 'text', (c) => c.notNull().unique().references('esims.id'))
    .addColumn('eid', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('bound_at', timestamp(db), (c) => c.notNull())
    .addColumn('unbound_at', timestamp(db))
    .execute();
  await db.schema
    .createIndex('devices_by_account')
    .on('devices')
    .columns(['account_id', 'unbound_at'])
    .execute();

  await db.schema
    .createTable('network_actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .execute();

  // The built-in SM-DP+ emulator's own state (demo mode and tests).
  await db.schema
    .createTable('emu_profiles')
    .addColumn('iccid', 'text', (c) => c.primaryKey())
    .addColumn('profile_type', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('eid', 'text')
    .addColumn('matching_id', 'text', (c) => c.unique())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('emu_profiles_free')
    .on('emu_profiles')
    .columns(['profile_type', 'state'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['emu_profiles', 'network_actions', 'devices', 'esims', 'lines', 'numbers']) {
    await db.schema.dropTable(table).execute();
  }
}
