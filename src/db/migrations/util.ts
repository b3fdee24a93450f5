import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Migrations see Kysely<any> and never application types; these helpers hide the two dialects' column types.

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped schema by design
export type AnyDb = Kysely<any>;

export function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** RFC 3339 instants: timestamptz on PostgreSQL, ISO text on SQLite. */
export function timestamp(db: AnyDb) {
  return isPostgres(db) ? sql`timestamptz` : sql`text`;
}

/** Integer amounts (money in minor units, byte counts): 64-bit on both. */
export function bigint(db: AnyDb) {
  return isPostgres(db) ? sql`bigint` : sql`integer`;
}
