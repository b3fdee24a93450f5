import { sql } from 'kysely';
import { type AnyDb, bigint, timestamp } from './util.js';

// A usage record whose charge is above the policy's ceiling is not posted: it waits here for staff.
// Approving it rates and posts it (a usage_records row and the ledger postings) once; rejecting it
// keeps it here, so the mediation system sending it again counts it as a duplicate.
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('usage_holds')
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
    .addColumn('quoted_charge', bigint(db), (c) => c.notNull())
    .addColumn('charge', bigint(db))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('usage_id', 'text')
    .addColumn('note', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', timestamp(db))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addCheckConstraint('usage_hold_type', sql`type in ('voice', 'sms', 'data')`)
    .addCheckConstraint('usage_hold_status', sql`status in ('held', 'approved', 'rejected')`)
    .execute();
  await db.schema.createIndex('usage_holds_by_status').on('usage_holds').columns(['status', 'id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('usage_holds').execute();
}
