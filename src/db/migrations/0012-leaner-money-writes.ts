import { sql } from 'kysely';
import { type AnyDb, isPostgres, timestamp } from './util.js';

// Two index entries every movement of money paid for and nothing used:
// - postings_by_reference: no query looks postings up by their reference (statements go by
//   account, the export reads them in id order);
// - the UNIQUE of jobs.idempotency_key indexed the NULL key of every job that has none (most:
//   notices, refunds, exports). A partial unique index keeps the rule for the keys there are.
// SQLite cannot drop a column's UNIQUE, so there the jobs table is rebuilt without it.

async function rebuildJobsSqlite(db: AnyDb, uniqueKey: boolean): Promise<void> {
  await db.schema
    .createTable('jobs_rebuilt')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_at', timestamp(db), (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('idempotency_key', 'text', (c) => (uniqueKey ? c.unique() : c))
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', timestamp(db))
    .addColumn('created_at', timestamp(db), (c) => c.notNull())
    .addColumn('updated_at', timestamp(db), (c) => c.notNull())
    .addColumn('finished_at', timestamp(db))
    .addCheckConstraint('jobs_status', sql`status in ('queued', 'running', 'succeeded', 'dead', 'cancelled')`)
    .addCheckConstraint('jobs_attempts', sql`attempts >= 0 and attempts <= max_attempts`)
    .execute();
  await sql`insert into jobs_rebuilt select id, kind, payload, status, run_at, attempts, max_attempts,
    last_error, idempotency_key, locked_by, locked_until, created_at, updated_at, finished_at from jobs`.execute(
    db,
  );
  await db.schema.dropTable('jobs').execute();
  await db.schema.alterTable('jobs_rebuilt').renameTo('jobs').execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();
}

export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('postings_by_reference').execute();
  if (isPostgres(db)) await sql`alter table jobs drop constraint jobs_idempotency_key_key`.execute(db);
  else await rebuildJobsSqlite(db, false);
  await db.schema
    .createIndex('jobs_by_idempotency_key')
    .on('jobs')
    .column('idempotency_key')
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('jobs_by_idempotency_key').execute();
  if (isPostgres(db))
    await sql`alter table jobs add constraint jobs_idempotency_key_key unique (idempotency_key)`.execute(db);
  else await rebuildJobsSqlite(db, true);
  await db.schema
    .createIndex('postings_by_reference')
    .on('ledger_postings')
    .columns(['reference_type', 'reference_id'])
    .execute();
}
