import { sql } from 'kysely';
import { type AnyDb, isPostgres } from './util.js';

// PostgreSQL: usage_records becomes a table range-partitioned by month on started_at (UTC months),
// so a month's records are one table that queries prune to and retention drops whole. A partitioned
// table's unique constraints must contain the partition key, so the key is (id, started_at) and the
// mediation system's record id, unique across all months, moves to a small table of its own
// (usage_record_keys) that ingest checks and fills. A default partition takes any record whose month
// has no partition yet, so an insert never fails for want of one; the runner creates the months
// ahead and moves such records into their month (src/modules/usage/usage.partitions.ts).
// SQLite keeps its table; both get the list's index by time, and SQLite one on started_at for the
// batched deletes of retention.

const COLUMNS = sql.raw(
  'id, record_id, account_id, line_id, iccid, type, started_at, duration_seconds, bytes, counterpart, direction, country, charge, created_at',
);

const columnsOf = (extra: string) =>
  sql.raw(`
    id text not null,
    record_id text not null,
    account_id text not null,
    line_id text not null,
    iccid text not null,
    type text not null,
    started_at timestamptz not null,
    duration_seconds integer,
    bytes bigint,
    counterpart text,
    direction text,
    country text not null,
    charge bigint not null,
    created_at timestamptz not null,
    constraint usage_type check (type in ('voice', 'sms', 'data')),
    ${extra}`);

/** The UTC month starting at `month` (YYYY-MM) and the next month's start. */
function monthRange(month: string): { name: string; from: string; to: string } {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
  return {
    name: `usage_records_${month.replace('-', '_')}`,
    from: `${month}-01T00:00:00Z`,
    to: `${next}-01T00:00:00Z`,
  };
}

function monthsAhead(now: Date, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)).toISOString().slice(0, 7),
  );
}

export async function up(db: AnyDb): Promise<void> {
  if (!isPostgres(db)) {
    await db.schema.dropIndex('usage_by_account').execute();
    await db.schema
      .createIndex('usage_by_account_time')
      .on('usage_records')
      .columns(['account_id', 'type', 'started_at', 'id'])
      .execute();
    await db.schema.createIndex('usage_by_start').on('usage_records').column('started_at').execute();
    return;
  }
  await sql`create table usage_records_partitioned (${columnsOf(
    'constraint usage_records_pkey_new primary key (id, started_at)',
  )}) partition by range (started_at)`.execute(db);
  await sql`create table usage_records_default partition of usage_records_partitioned default`.execute(db);
  const present = await sql<{ month: string }>`
    select distinct to_char(date_trunc('month', started_at, 'UTC'), 'YYYY-MM') as month from usage_records`.execute(
    db,
  );
  const months = new Set([...present.rows.map((r) => r.month), ...monthsAhead(new Date(), 3)]);
  for (const month of [...months].sort()) {
    const { name, from, to } = monthRange(month);
    await sql`create table ${sql.id(name)} partition of usage_records_partitioned
      for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(db);
  }
  await sql`create index usage_by_account_time on usage_records_partitioned (account_id, type, started_at, id)`.execute(
    db,
  );
  await sql`create table usage_record_keys (record_id text primary key)`.execute(db);
  await sql`insert into usage_records_partitioned (${COLUMNS}) select ${COLUMNS} from usage_records`.execute(
    db,
  );
  await sql`insert into usage_record_keys (record_id) select record_id from usage_records`.execute(db);
  await sql`drop table usage_records`.execute(db);
  await sql`alter table usage_records_partitioned rename to usage_records`.execute(db);
  await sql`alter table usage_records rename constraint usage_records_pkey_new to usage_records_pkey`.execute(
    db,
  );
}

export async function down(db: AnyDb): Promise<void> {
  if (!isPostgres(db)) {
    await db.schema.dropIndex('usage_by_start').execute();
    await db.schema.dropIndex('usage_by_account_time').execute();
    await db.schema
      .createIndex('usage_by_account')
      .on('usage_records')
      .columns(['account_id', 'type', 'id'])
      .execute();
    return;
  }
  await sql`create table usage_records_plain (${columnsOf(
    'constraint usage_records_pkey_plain primary key (id), constraint usage_records_record_id_plain unique (record_id)',
  )})`.execute(db);
  await sql`insert into usage_records_plain (${COLUMNS}) select ${COLUMNS} from usage_records`.execute(db);
  await sql`drop table usage_records`.execute(db);
  await sql`drop table usage_record_keys`.execute(db);
  await sql`alter table usage_records_plain rename to usage_records`.execute(db);
  await sql`alter table usage_records rename constraint usage_records_pkey_plain to usage_records_pkey`.execute(
    db,
  );
  await sql`alter table usage_records rename constraint usage_records_record_id_plain to usage_records_record_id_key`.execute(
    db,
  );
  await sql`create index usage_by_account on usage_records (account_id, type, id)`.execute(db);
}
