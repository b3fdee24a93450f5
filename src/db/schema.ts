import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Row types of every table, one interface per table. Times are RFC 3339 UTC strings on both
 * dialects (timestamptz on PostgreSQL, read back as ISO strings); money is integer minor units.
 */

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  status: JobStatus;
  run_at: string;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  last_error: string | null;
  idempotency_key: string | null;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface DB {
  jobs: JobsTable;
}

export type JobRow = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type JobUpdate = Updateable<JobsTable>;
export type { Generated };
