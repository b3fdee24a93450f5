import { PostgresAdapter, sql } from 'kysely';
import type { Tx } from './database.js';

/**
 * PostgreSQL's transaction lock on usage rating. Whatever writes usage records or a line's allowances
 * takes it: ingest, rerating and held-usage approval (usage), plan changes and add-ons (lines), and a
 * month's partition move, which must see no new record. A batch reads the allowances first and writes
 * them back at the end, so a change in between would be written over. (SQLite runs one write
 * transaction at a time.)
 */
export const USAGE_RATING_LOCK = 7301;

/** PostgreSQL: waits for the usage rating lock (see USAGE_RATING_LOCK); SQLite: nothing to do. */
export async function holdRatingLock(tx: Tx): Promise<void> {
  if (tx.getExecutor().adapter instanceof PostgresAdapter)
    await sql`select pg_advisory_xact_lock(${sql.lit(USAGE_RATING_LOCK)})`.execute(tx);
}
