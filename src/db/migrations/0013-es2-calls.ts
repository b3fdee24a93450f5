import { sql } from 'kysely';
import { type AnyDb, timestamp } from './util.js';

// Every ES2+ notification the SM-DP+ sent, by its functionCallIdentifier: a repeat of a call is
// answered as the first one was and changes nothing. No EID here (it identifies a device; the
// devices table and the audit trail hold what is kept of it).
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('es2_calls')
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('function', 'text', (c) => c.notNull())
    .addColumn('peer', 'text', (c) => c.notNull())
    .addColumn('iccid', 'text')
    .addColumn('point', 'integer')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('subject_code', 'text')
    .addColumn('reason_code', 'text')
    .addColumn('subject_identifier', 'text')
    .addColumn('message', 'text')
    .addColumn('received_at', timestamp(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('es2_calls_pk', ['requester', 'call_id'])
    .addCheckConstraint(
      'es2_calls_outcome',
      sql`outcome in ('pending', 'bound', 'recorded', 'duplicate', 'ignored', 'refused')`,
    )
    .execute();
  await db.schema
    .createIndex('es2_calls_by_iccid')
    .on('es2_calls')
    .columns(['iccid', 'received_at'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('es2_calls').execute();
}
