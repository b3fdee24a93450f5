import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { Db, Dialect, Tx } from '../../db/database.js';
import { USAGE_RATING_LOCK } from '../../db/locks.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { decidedHoldStartsBefore, recordMonthsBefore, removeDecidedHolds } from './usage.store.js';

/** Months created ahead of the current one, so the month after next already has its partition. */
const MONTHS_AHEAD = 2;
/** SQLite deletes old records this many at a time, each batch a short transaction of its own. */
const DELETE_BATCH = 5_000;
const DEFAULT_PARTITION = 'usage_records_default';
const RETENTION: Actor = { type: 'system', id: 'usage-retention' };

/** A UTC month, `YYYY-MM`. */
export type Month = string;

export function monthOf(time: Date | string): Month {
  return (typeof time === 'string' ? time : time.toISOString()).slice(0, 7);
}

export function addMonths(month: Month, count: number): Month {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, m - 1 + count, 1)).toISOString().slice(0, 7);
}

/** The instant a month starts, as stored (ISO 8601 UTC with milliseconds). */
export const monthStart = (month: Month) => `${month}-01T00:00:00.000Z`;

/** The partition holding a month's records on PostgreSQL. */
export const partitionName = (month: Month) => `usage_records_${month.replace('-', '_')}`;
const PARTITION = /^usage_records_(\d{4})_(\d{2})$/;

/**
 * The first month kept: the current month and the policy's number of whole months before it. Records
 * that started earlier are removed by retention and refused by ingest.
 */
export function firstMonthKept(now: Date, retentionMonths: number): Month {
  return addMonths(monthOf(now), -retentionMonths);
}

export interface MonthRemoved {
  month: Month;
  records: number;
  /** Decided held records (approved or rejected) of that month removed with it. */
  holds: number;
  /** PostgreSQL: the month's partition was detached and dropped (else its rows were deleted). */
  partitionDropped: boolean;
}

/**
 * Usage records by month. On PostgreSQL each UTC month is a partition of usage_records: the runner
 * creates the current month's and the next two ahead every day (records of a month without one go to
 * the default partition, and move to their month when it is created), and retention detaches and drops
 * whole months older than the policy's period. On SQLite the table is one; retention deletes old
 * records in batches. Every month removed is audited with its count. The jobs are in usage.jobs.ts.
 *
 * The partitions' DDL and the statements that move or drop whole partitions stay here, with the
 * partition logic they belong to; the plain statements on usage tables are in usage.store.ts.
 */
export function createUsagePartitions(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock } = deps;
  const postgres = deps.dialect === 'postgres';

  /** The months that have a partition of their own (PostgreSQL; none on SQLite), oldest first. */
  async function partitions(executor: Db | Tx = db): Promise<Month[]> {
    if (!postgres) return [];
    const rows = await sql<{ name: string }>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'usage_records'::regclass`.execute(executor);
    return rows.rows
      .map((r) => PARTITION.exec(r.name))
      .filter((m) => m !== null)
      .map((m) => `${m[1]}-${m[2]}`)
      .sort();
  }

  /** Months present in the default partition, that is without a partition of their own. */
  async function monthsInDefault(executor: Db | Tx): Promise<Month[]> {
    const rows = await sql<{ month: string }>`
      select distinct to_char(date_trunc('month', started_at, 'UTC'), 'YYYY-MM') as month
      from ${sql.table(DEFAULT_PARTITION)}`.execute(executor);
    return rows.rows.map((r) => r.month).sort();
  }

  /**
   * Creates the partitions of the current month and the next two, and of any month kept whose
   * records are waiting in the default partition (moved there into their own). PostgreSQL only;
   * returns the months created.
   */
  async function ensurePartitions(now: Date = clock.now()): Promise<Month[]> {
    if (!postgres) return [];
    const { usageRetentionMonths } = await deps.policies.get();
    const first = firstMonthKept(now, usageRetentionMonths);
    const existing = new Set(await partitions());
    const wanted = new Set<Month>();
    for (let i = 0; i <= MONTHS_AHEAD; i++) wanted.add(addMonths(monthOf(now), i));
    for (const month of await monthsInDefault(db)) if (month >= first) wanted.add(month);
    const created: Month[] = [];
    for (const month of [...wanted].sort()) {
      if (existing.has(month)) continue;
      const made = await db.transaction().execute(async (tx) => {
        // Writers of usage records wait: none can put a row of this month into the default partition
        // between the move below and the attach, which would then refuse.
        await sql`select pg_advisory_xact_lock(${USAGE_RATING_LOCK})`.execute(tx);
        if ((await partitions(tx)).includes(month)) return false;
        const table = sql.table(partitionName(month));
        const from = monthStart(month);
        const to = monthStart(addMonths(month, 1));
        await sql`create table ${table} (like usage_records including defaults including constraints)`.execute(
          tx,
        );
        await sql`with moved as (
            delete from ${sql.table(DEFAULT_PARTITION)} where started_at >= ${from} and started_at < ${to}
            returning *)
          insert into ${table} select * from moved`.execute(tx);
        await sql`alter table usage_records attach partition ${table}
          for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(tx);
        return true;
      });
      if (made) created.push(month);
    }
    return created;
  }

  /**
   * Removes the usage records of every month before the first one kept (the policy's
   * usageRetentionMonths before the current month), with the decided held records of those months.
   * PostgreSQL detaches and drops each month's partition (and deletes such records from the default
   * partition); SQLite deletes them in batches. One audit entry per month, with the counts.
   */
  async function applyRetention(now: Date = clock.now()): Promise<MonthRemoved[]> {
    const { usageRetentionMonths } = await deps.policies.get();
    const first = firstMonthKept(now, usageRetentionMonths);
    const context = { firstMonthKept: first, retentionMonths: usageRetentionMonths };
    const removed: MonthRemoved[] = [];
    for (const month of await monthsBefore(first)) {
      const done = postgres ? await removeMonthPostgres(month) : await removeMonthSqlite(month);
      if (done.partitionDropped || done.records || done.holds) removed.push(done);
    }
    return removed;

    async function removeMonthPostgres(month: Month): Promise<MonthRemoved> {
      return db.transaction().execute(async (tx) => {
        // Waiting behind a long query, the detach's lock would hold up every reader queued after it.
        await sql`set local lock_timeout = '10s'`.execute(tx);
        const from = monthStart(month);
        const to = monthStart(addMonths(month, 1));
        const dropped = (await partitions(tx)).includes(month);
        let records = 0;
        if (dropped) {
          const table = sql.table(partitionName(month));
          records = Number(
            (await sql<{ n: string }>`select count(*) as n from ${table}`.execute(tx)).rows[0]?.n ?? 0,
          );
          await sql`delete from usage_record_keys k using ${table} p where k.record_id = p.record_id`.execute(
            tx,
          );
          await sql`alter table usage_records detach partition ${table}`.execute(tx);
          await sql`drop table ${table}`.execute(tx);
        }
        const inDefault = await sql<{ n: string }>`with gone as (
            delete from ${sql.table(DEFAULT_PARTITION)} where started_at >= ${from} and started_at < ${to}
            returning record_id),
          keys as (delete from usage_record_keys k using gone where k.record_id = gone.record_id)
          select count(*) as n from gone`.execute(tx);
        records += Number(inDefault.rows[0]?.n ?? 0);
        const holds = await removeDecidedHolds(tx, from, to);
        const done = { month, records, holds, partitionDropped: dropped };
        if (dropped || records || holds) await audit(tx, done);
        return done;
      });
    }

    async function removeMonthSqlite(month: Month): Promise<MonthRemoved> {
      const from = monthStart(month);
      const to = monthStart(addMonths(month, 1));
      let records = 0;
      for (;;) {
        const last = await db.transaction().execute(async (tx) => {
          const batch = await sql`delete from usage_records where rowid in (
              select rowid from usage_records where started_at >= ${from} and started_at < ${to}
              limit ${DELETE_BATCH})`.execute(tx);
          const deleted = Number(batch.numAffectedRows ?? 0);
          records += deleted;
          if (deleted === DELETE_BATCH) return null;
          // The last batch of the month: its holds go, and the month's removal is audited, in it.
          const holds = await removeDecidedHolds(tx, from, to);
          const done = { month, records, holds, partitionDropped: false };
          if (records || holds) await audit(tx, done);
          return done;
        });
        if (last) return last;
      }
    }

    async function audit(tx: Tx, done: MonthRemoved) {
      await deps.audit.record(tx, {
        actor: RETENTION,
        action: 'usage.month_removed',
        subject: { type: 'usage_month', id: done.month },
        after: { ...done, ...context },
      });
    }
  }

  /** Months before `first` that hold usage records or decided holds (or, on PostgreSQL, a partition). */
  async function monthsBefore(first: Month): Promise<Month[]> {
    const cutoff = monthStart(first);
    const months = new Set<Month>();
    if (postgres) {
      for (const month of await partitions()) if (month < first) months.add(month);
      for (const month of await monthsInDefault(db)) if (month < first) months.add(month);
    } else {
      for (const month of await recordMonthsBefore(db, cutoff)) months.add(month);
    }
    for (const startedAt of await decidedHoldStartsBefore(db, cutoff)) months.add(monthOf(startedAt));
    return [...months].sort();
  }

  return { partitions, ensurePartitions, applyRetention };
}

export type UsagePartitions = ReturnType<typeof createUsagePartitions>;
