/**
 * What a database failure means for the caller, whichever dialect raised it:
 * - `unavailable`: the database cannot be reached (connection refused or lost, server starting or
 *   shutting down, backend terminated); a retry soon may succeed.
 * - `storage`: the database answers but cannot take writes (disk full, read-only file or database,
 *   a standby); reads still work.
 * Anything else (a constraint, a bug) is `null`: not a fault of the environment.
 */
export type DatabaseFault = 'unavailable' | 'storage';

// Node's socket errors and pg's own messages when a connection dies or cannot be made.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const PG_CONNECTION_MESSAGES =
  /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|timeout expired|connection has been discarded|Client was closed and is not queryable/i;

// PostgreSQL SQLSTATE: class 08 connection exceptions; 57P01-57P03 admin/crash shutdown and
// "cannot connect now" (starting up); 53300 too many connections; 53100 disk full.
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;
const PG_STORAGE = new Set([
  '53100', // disk_full
  '25006', // read_only_sql_transaction: a read-only database or a hot standby
]);

// better-sqlite3 error codes (extended codes start with the primary one).
const SQLITE_STORAGE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED)/;

export function databaseFault(error: unknown): DatabaseFault | null {
  if (!error || typeof error !== 'object') return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SQLITE_STORAGE.test(code) || PG_STORAGE.has(code)) return 'storage';
    if (SQLITE_UNAVAILABLE.test(code) || PG_UNAVAILABLE.test(code) || NETWORK_CODES.has(code))
      return 'unavailable';
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) return 'unavailable';
  // AggregateError (a connection attempt to several addresses) and wrapped causes.
  const nested = (error as { errors?: unknown[] }).errors?.[0] ?? (error as { cause?: unknown }).cause;
  return nested && nested !== error ? databaseFault(nested) : null;
}
