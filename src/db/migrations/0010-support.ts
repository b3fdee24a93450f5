import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('tickets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('related_type', 'text')
    .addColumn('related_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('assignee_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('first_response_at', timestamp(db))
    .addColumn('last_message_at', timestamp(db), (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addColumn('closed_at', timestamp(db))
    .addCheckConstraint('ticket_status', sql`status in ('open', 'waiting_on_customer', 'closed')`)
    .addCheckConstraint(
      'ticket_category',
      sql`category in ('general', 'cancellation', 'billing', 'esim', 'usage', 'lost_or_stolen')`,
    )
    .execute();
  await db.schema
    .createIndex('tickets_by_status')
    .on('tickets')
    .columns(['status', 'last_message_at'])
    .execute();
  await db.schema.createIndex('tickets_by_account').on('tickets').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('ticket_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id'))
    .addColumn('author_type', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('internal', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('ticket_author', sql`author_type in ('subscriber', 'staff', 'system')`)
    .execute();
  await db.schema
    .createIndex('ticket_messages_by_ticket')
    .on('ticket_messages')
    .columns(['ticket_id', 'id'])
    .execute();

  // Policies an admin changes at run time; a key missing here takes its value from the configuration.
  await db.schema
    .createTable('policies')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('adjustments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('amount', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('decided_at', timestamp(db))
    .addCheckConstraint('adjustment_status', sql`status in ('pending_approval', 'posted', 'rejected')`)
    .addCheckConstraint('adjustment_amount', sql`amount > 0`)
    .execute();
  await db.schema.createIndex('adjustments_by_status').on('adjustments').columns(['status', 'id']).execute();

  // Retention: when a deregistered account's personal data was erased.
  await db.schema.alterTable('accounts').addColumn('erased_at', timestamp(db)).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('erased_at').execute();
  await db.schema.dropTable('adjustments').execute();
  await db.schema.dropTable('policies').execute();
  await db.schema.dropTable('ticket_messages').execute();
  await db.schema.dropTable('tickets').execute();
}
