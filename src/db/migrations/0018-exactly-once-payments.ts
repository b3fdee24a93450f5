import { sql } from 'kysely';
import { type AnyDb, timestamp } from './util.js';

// - idempotency_keys.claim_token: who holds a key's claim. Storing the answer is a compare-and-set on
//   it in the transaction that does the work, so a request whose claim was taken over cannot commit.
//   Rows claimed before this migration have none; a takeover gives them one.
// - test_payment_records: what the built-in test payment provider sent, so it can answer a lookup
//   after a restart as a real provider would (it never moves real money).
// - payments_pending / refunds_pending: the reconciler looks for what is still pending; only those
//   rows are in the index.

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('claim_token', 'text').execute();

  await db.schema
    .createTable('test_payment_records')
    .addColumn('object_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('provider_ref', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('event', 'text')
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('test_payment_records_kind', sql`kind in ('payment', 'refund')`)
    .addCheckConstraint('test_payment_records_status', sql`status in ('pending', 'settled')`)
    .execute();

  await db.schema
    .createIndex('payments_pending')
    .on('payments')
    .column('created_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema
    .createIndex('refunds_pending')
    .on('refunds')
    .column('created_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('refunds_pending').execute();
  await db.schema.dropIndex('payments_pending').execute();
  await db.schema.dropTable('test_payment_records').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('claim_token').execute();
}
