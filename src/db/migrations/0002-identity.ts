import { sql } from 'kysely';
import { type AnyDb, isPostgres, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.unique())
    .addColumn('phone', 'text', (c) => c.unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('disabled_at', timestamp(db))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('accounts_role', sql`role in ('subscriber', 'agent', 'reviewer', 'admin')`)
    .addCheckConstraint(
      'accounts_status',
      sql`status in ('active', 'suspended', 'cancellation_pending', 'deregistered')`,
    )
    .execute();

  await db.schema
    .createTable('otp_challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('expires_at', timestamp(db), (c) => c.notNull())
    .addColumn('consumed_at', timestamp(db))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('otp_channel', sql`channel in ('email', 'sms')`)
    .execute();
  await db.schema
    .createIndex('otp_by_target')
    .on('otp_challenges')
    .columns(['target', 'created_at'])
    .execute();
  await db.schema.createIndex('otp_by_ip').on('otp_challenges').columns(['ip', 'created_at']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('last_seen_at', timestamp(db), (c) => c.notNull())
    .addColumn('expires_at', timestamp(db), (c) => c.notNull())
    .addColumn('revoked_at', timestamp(db))
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_by_account').on('sessions').columns(['account_id']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('to', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('html', 'text')
    .addColumn('sensitive', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('sent_at', timestamp(db))
    .addCheckConstraint('messages_channel', sql`channel in ('email', 'sms')`)
    .addCheckConstraint('messages_status', sql`status in ('queued', 'sent', 'failed', 'dead')`)
    .execute();
  await db.schema
    .createIndex('messages_by_account')
    .on('messages')
    .columns(['account_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('dev_mailbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull().unique().references('messages.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('to', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('html', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dev_mailbox_by_to').on('dev_mailbox').columns(['to', 'created_at']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('request_id', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('audit_actor', sql`actor_type in ('account', 'staff', 'system')`)
    .execute();
  await db.schema.createIndex('audit_by_subject').on('audit_log').columns(['subject_id', 'id']).execute();
  await db.schema.createIndex('audit_by_account').on('audit_log').columns(['account_id', 'id']).execute();

  if (isPostgres(db)) {
    // The audit trail is append-only: the database itself refuses edits and deletions.
    await sql`create function audit_log_immutable() returns trigger language plpgsql as $$
      begin raise exception 'audit_log is append-only'; end $$`.execute(db);
    await sql`create trigger audit_log_no_change before update or delete on audit_log
      for each row execute function audit_log_immutable()`.execute(db);
  } else {
    await sql`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
  }
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['audit_log', 'dev_mailbox', 'messages', 'sessions', 'otp_challenges', 'accounts']) {
    await db.schema.dropTable(table).execute();
  }
  if (isPostgres(db)) {
    await sql`drop function if exists audit_log_immutable()`.execute(db);
  }
}
