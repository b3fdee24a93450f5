import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('balance', bigint(db), (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint(
      'ledger_account_kind',
      sql`kind in ('wallet', 'arrears', 'clearing', 'revenue', 'refunds_payable', 'adjustments')`,
    )
    // A subscriber's wallet can never go negative: the database refuses it even if code forgets.
    .addCheckConstraint('wallet_not_negative', sql`kind <> 'wallet' or balance >= 0`)
    .addUniqueConstraint('ledger_account_owner', ['kind', 'owner_id', 'currency'])
    .execute();

  await db.schema
    .createTable('ledger_postings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('debit_id', 'text', (c) => c.notNull().references('ledger_accounts.id'))
    .addColumn('credit_id', 'text', (c) => c.notNull().references('ledger_accounts.id'))
    .addColumn('amount', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reference_type', 'text')
    .addColumn('reference_id', 'text')
    .addColumn('debit_balance_after', bigint(db), (c) => c.notNull())
    .addColumn('credit_balance_after', bigint(db), (c) => c.notNull())
    .addColumn('memo', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('posting_positive', sql`amount > 0`)
    .addCheckConstraint('posting_two_sides', sql`debit_id <> credit_id`)
    .execute();
  await db.schema
    .createIndex('postings_by_debit')
    .on('ledger_postings')
    .columns(['debit_id', 'id'])
    .execute();
  await db.schema
    .createIndex('postings_by_credit')
    .on('ledger_postings')
    .columns(['credit_id', 'id'])
    .execute();
  await db.schema
    .createIndex('postings_by_reference')
    .on('ledger_postings')
    .columns(['reference_type', 'reference_id'])
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_ref', 'text')
    .addColumn('amount', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('refunded', bigint(db), (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('request_key', 'text', (c) => c.unique())
    .addColumn('failure', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('payment_status', sql`status in ('pending', 'succeeded', 'failed')`)
    .addCheckConstraint('payment_refunded', sql`refunded >= 0 and refunded <= amount`)
    .execute();
  await db.schema
    .createIndex('payments_by_account')
    .on('payments')
    .columns(['account_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('amount', bigint(db), (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_ref', 'text')
    .addColumn('failure', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('refund_status', sql`status in ('pending', 'succeeded', 'failed')`)
    .execute();
  await db.schema.createIndex('refunds_by_account').on('refunds').columns(['account_id', 'status']).execute();

  await db.schema
    .createTable('refund_allocations')
    .addColumn('refund_id', 'text', (c) => c.notNull().references('refunds.id'))
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('amount', bigint(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('refund_allocations_pk', ['refund_id', 'payment_id'])
    .execute();

  await db.schema
    .createTable('payment_events')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('received_at', timestamp(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_events_pk', ['provider', 'event_id'])
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('locked_until', timestamp(db), (c) => c.notNull())
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .addCheckConstraint('idempotency_status', sql`status in ('in_progress', 'done')`)
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'idempotency_keys',
    'payment_events',
    'refund_allocations',
    'refunds',
    'payments',
    'ledger_postings',
    'ledger_accounts',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
