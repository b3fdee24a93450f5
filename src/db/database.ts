import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Sqlite from 'better-sqlite3';
import { Kysely, sql, type Transaction } from 'kysely';
import type pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { databaseFault } from './errors.js';
import { IdentityChanges } from './identity-changes.js';
import { pgTypes } from './pg-types.js';
import { PipelinedPostgresDialect } from './postgres-driver.js';
import { directRunners, pipelinedAdapters } from './prepared.js';
import type { DB } from './schema.js';
import { GroupCommitSqliteDialect, type SqliteHandle } from './sqlite-driver.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Store functions take either, so they work inside or outside a transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  dialect: Dialect;
  /** Changes to accounts and sessions made through `db` (for the principal cache). */
  identityChanges: IdentityChanges;
  /**
   * Runs fn while holding a lock every esimdesk process on this database shares: start-up work
   * (migrations, demo seeding) of processes starting together runs one after the other, each
   * finding what the one before did. PostgreSQL: a session advisory lock on a connection of its
   * own; SQLite: the writer lock of a companion file (<file>.startup-lock), which the operating
   * system releases if the holder dies.
   */
  withStartupLock<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs a heavy read that may see data a little behind (a staff search): on a replica of
   * DATABASE_READ_URL, taken in turn, or on the primary when there is none. A replica that cannot be
   * reached is left alone for REPLICA_RETRY_MS and the read runs on the primary instead. Never for
   * what must read its own writes (balances, what a request just wrote, anything in a transaction).
   */
  reading<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Where the primary's write-ahead log has got to now, for readingAtLeast: every transaction
   * committed before this call lies before it. Null without replicas (SQLite, or no DATABASE_READ_URL).
   */
  writePosition(): Promise<string | null>;
  /**
   * Runs a heavy read that must see every write before `position` (of writePosition; an export of
   * what the subscriber did before asking for it) on one connection of a replica that has replayed
   * that far, waiting up to `waitMs` for one to get there; on the primary when none does in time,
   * when `position` is null, or when the replica fails (cannot be reached, or cancels the read in a
   * conflict with its replay). fn then starts over on the primary, so it must not depend on a
   * previous run.
   */
  readingAtLeast<T>(position: string | null, fn: (db: Db) => Promise<T>, waitMs?: number): Promise<T>;
  /** Whether reading() would use a replica now (for tests and /metrics). */
  replicas(): Array<{ url: string; up: boolean }>;
  close(): Promise<void>;
}

/** How long a replica that could not be reached is skipped before it is tried again. */
const REPLICA_RETRY_MS = 10_000;
/** How often readingAtLeast asks a replica that is behind how far it has replayed. */
const REPLAY_POLL_MS = 100;
/**
 * SQLSTATEs of a read a standby cancels in a conflict with its replay (rows it had to remove, a buffer
 * pin deadlock); a read-only server raises them for nothing else.
 */
const RECOVERY_CONFLICTS = new Set(['40001', '40P01']);
const recoveryConflict = (error: unknown) =>
  RECOVERY_CONFLICTS.has((error as { code?: string } | null)?.code ?? '');

/** The advisory lock key start-up work takes on PostgreSQL ("esid"). */
const STARTUP_LOCK_KEY = 0x65736964;
/**
 * How long a process waits for another's start-up work (a long migration) before giving up. The
 * lock dies with its holder's session or process, so a long wait never outlasts a crashed holder.
 */
const STARTUP_LOCK_WAIT_MS = 30 * 60_000;

// The PostgreSQL driver is loaded only when PostgreSQL is configured (demo mode runs on SQLite).
const require = createRequire(import.meta.url);
const loadPg = () => require('pg') as typeof pg;

/**
 * better-sqlite3 builds each row object by looking up and internalising every column name for
 * every row, which costs more than the query itself for a short lookup. Statements that return rows
 * run in raw mode (arrays) and a function compiled once per statement turns each array into an
 * object literal of a fixed shape.
 */
class RowStatement {
  readonly reader: boolean;
  readonly #statement: Sqlite.Statement;
  readonly #toRow: ((values: unknown[]) => Record<string, unknown>) | null = null;

  constructor(statement: Sqlite.Statement) {
    this.#statement = statement;
    this.reader = statement.reader;
    if (!this.reader) return;
    const names = statement.columns().map((column) => column.name);
    // An object literal with "__proto__" would set the prototype; such a column keeps the slow path.
    if (names.includes('__proto__')) return;
    statement.raw(true);
    const fields = names.map((name, i) => `${JSON.stringify(name)}: values[${i}]`).join(', ');
    this.#toRow = new Function('values', `return { ${fields} };`) as (
      values: unknown[],
    ) => Record<string, unknown>;
  }

  all(parameters: readonly unknown[]) {
    const rows = this.#statement.all(parameters) as unknown[][];
    return this.#toRow ? rows.map(this.#toRow) : rows;
  }

  *iterate(parameters: readonly unknown[]) {
    for (const row of this.#statement.iterate(parameters) as IterableIterator<unknown[]>) {
      yield this.#toRow ? this.#toRow(row) : row;
    }
  }

  run(parameters: readonly unknown[]) {
    return this.#statement.run(parameters);
  }
}

/**
 * Kysely prepares every query anew; compiling SQL is most of the cost of a small statement. Queries
 * repeat, so keep the prepared statements (one connection, used serially, so reuse is safe).
 */
const SCHEMA_CHANGE = /^\s*(create|alter|drop)\b/i;

function withStatementCache(raw: Sqlite.Database, size = 500): SqliteHandle {
  const cache = new Map<string, RowStatement>();
  return {
    get inTransaction() {
      return raw.inTransaction;
    },
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else if (SCHEMA_CHANGE.test(sql)) {
        // What a cached statement returns (its columns, as RowStatement knows them) may be about to
        // change: start afresh, and keep no schema statement.
        cache.clear();
        return new RowStatement(raw.prepare(sql));
      } else {
        statement = new RowStatement(raw.prepare(sql));
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
    close: () => raw.close(),
  };
}

export function openSqlite(file: string, synchronous: 'FULL' | 'NORMAL' = 'FULL'): Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = new Sqlite(file);
  raw.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before it is acknowledged, so an acknowledged write survives power loss.
  raw.pragma(`synchronous = ${synchronous}`);
  raw.pragma('busy_timeout = 10000');
  raw.pragma('foreign_keys = ON');
  // Every esimdesk transaction may write, so each takes the write lock up front (BEGIN IMMEDIATE):
  // a plain BEGIN takes it at the first write, which lets two writers deadlock into SQLITE_BUSY.
  const identityChanges = new IdentityChanges();
  const dialect = new GroupCommitSqliteDialect(withStatementCache(raw));
  const db = new Kysely<DB>({ dialect, plugins: [identityChanges] });
  directRunners.set(db.getExecutor().adapter, (sql, parameters, inTransaction) =>
    dialect.runNow(sql, parameters, inTransaction),
  );
  const withStartupLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (file === ':memory:') return fn();
    const lock = new Sqlite(`${file}.startup-lock`);
    try {
      lock.pragma(`busy_timeout = ${STARTUP_LOCK_WAIT_MS}`);
      lock.exec('begin immediate');
      return await fn();
    } finally {
      lock.close(); // ends the transaction, and with it the lock
    }
  };
  return {
    db,
    dialect: 'sqlite',
    identityChanges,
    withStartupLock,
    reading: (fn) => fn(db),
    writePosition: async () => null,
    readingAtLeast: (_position, fn) => fn(db),
    replicas: () => [],
    close: () => db.destroy(),
  };
}

/**
 * pg's Client, listening for its own 'error' event from the moment it exists. pg-pool listens only
 * while a client is idle, and the driver only once it has taken the client over; a connection that
 * dies in between (a server shutting down just as a new connection is handed out) would otherwise
 * emit an 'error' nobody hears, which ends the process. The failure still reaches whoever uses the
 * client: its queries fail, and the pool drops it on release (it is no longer queryable).
 */
function listeningClient(driver: typeof pg) {
  return class ListeningClient extends driver.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', () => {});
    }
  };
}

/** A Kysely over a pool of its own (the primary's, or a replica's for reads). */
function postgresKysely(
  driver: typeof pg,
  url: string,
  max: number,
  options: { connectionTimeoutMillis: number; applicationName: string },
): Db {
  const pool = new driver.Pool({
    Client: listeningClient(driver) as unknown as new () => pg.ClientBase,
    connectionString: url,
    max,
    types: pgTypes(driver),
    application_name: options.applicationName,
    pipeline: true,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
  });
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PipelinedPostgresDialect(pool) });
  pipelinedAdapters.add(db.getExecutor().adapter);
  return db;
}

export function openPostgres(url: string, max = 10, readUrls: string[] = []): Database {
  const driver = loadPg();
  const pool = new driver.Pool({
    Client: listeningClient(driver) as unknown as new () => pg.ClientBase,
    connectionString: url,
    max,
    types: pgTypes(driver),
    application_name: 'esimdesk',
    // Statements are written without waiting for earlier answers (see postgres-driver.ts).
    pipeline: true,
    // An unreachable server fails a request (503) instead of holding it until the client gives up.
    connectionTimeoutMillis: 5000,
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const identityChanges = new IdentityChanges();
  const db = new Kysely<DB>({
    dialect: new PipelinedPostgresDialect(pool),
    plugins: [identityChanges],
  });
  pipelinedAdapters.add(db.getExecutor().adapter);
  const withStartupLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const client = new driver.Client({
      connectionString: url,
      connectionTimeoutMillis: 5000,
      application_name: 'esimdesk-startup',
    });
    client.on('error', () => {}); // a lost lock connection fails the queries below, not the process
    await client.connect();
    try {
      await client.query(`set lock_timeout = ${STARTUP_LOCK_WAIT_MS}`);
      await client.query('select pg_advisory_lock($1)', [STARTUP_LOCK_KEY]);
      return await fn();
    } finally {
      await client.end().catch(() => {}); // the session's end releases the lock
    }
  };
  // Replicas: a pool each, taken in turn; one that fails to answer is skipped for a while.
  const replicas = readUrls.map((readUrl) => ({
    url: readUrl,
    db: postgresKysely(driver, readUrl, max, {
      connectionTimeoutMillis: 2000,
      applicationName: 'esimdesk-read',
    }),
    downUntil: 0,
  }));
  let turn = 0;
  const reading = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const now = Date.now();
    const up = replicas.filter((r) => r.downUntil <= now);
    if (up.length === 0) return fn(db);
    const replica = up[turn++ % up.length]!;
    try {
      return await fn(replica.db);
    } catch (error) {
      if (databaseFault(error) === 'unavailable') replica.downUntil = Date.now() + REPLICA_RETRY_MS;
      else if (!recoveryConflict(error)) throw error;
      // Unreachable, or the standby cancelled the read for its replay: the primary answers.
      return fn(db);
    }
  };
  // The insert position, not pg_current_wal_lsn() (what has been written): a commit with
  // synchronous_commit off is acknowledged while its record may still wait in the WAL buffers.
  const writePosition = async (): Promise<string | null> => {
    if (replicas.length === 0) return null;
    const query = sql<{ position: string }>`select pg_current_wal_insert_lsn()::text as position`;
    const { rows } = await query.execute(db);
    return rows[0]!.position;
  };
  /**
   * fn's result on one connection of `replica` when it has replayed up to `position`; 'behind' when
   * it has not, 'failed' when it cannot be reached or cancels the read. The check and the reads
   * share the connection, so a DATABASE_READ_URL that is a balancer over several standbys cannot
   * check one and read another.
   */
  const onReplicaAtLeast = async <T>(
    replica: (typeof replicas)[number],
    position: string,
    fn: (db: Db) => Promise<T>,
  ): Promise<{ value: T } | 'behind' | 'failed'> => {
    try {
      return await replica.db.connection().execute(async (connection) => {
        const { rows } = await sql<{ caught_up: boolean | null }>`
          select pg_last_wal_replay_lsn() >= ${position}::pg_lsn as caught_up`.execute(connection);
        // Null: the server is not replaying (a promoted standby), so it says nothing of the primary.
        return rows[0]?.caught_up ? { value: await fn(connection) } : 'behind';
      });
    } catch (error) {
      if (databaseFault(error) === 'unavailable') {
        replica.downUntil = Date.now() + REPLICA_RETRY_MS;
        return 'failed';
      }
      // The standby cancelled the read (its replay had to remove rows the read still used): the
      // read goes to the primary rather than risk the same again.
      if (recoveryConflict(error)) return 'failed';
      throw error;
    }
  };
  const readingAtLeast = async <T>(
    position: string | null,
    fn: (db: Db) => Promise<T>,
    waitMs = 0,
  ): Promise<T> => {
    if (position === null) return fn(db);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const up = replicas.filter((r) => r.downUntil <= Date.now());
      const first = up.length ? turn++ % up.length : 0;
      for (const replica of [...up.slice(first), ...up.slice(0, first)]) {
        const ran = await onReplicaAtLeast(replica, position, fn);
        if (ran === 'failed') return fn(db);
        if (ran !== 'behind') return ran.value;
      }
      const left = deadline - Date.now();
      if (up.length === 0 || left <= 0) return fn(db);
      await sleep(Math.min(REPLAY_POLL_MS, left));
    }
  };
  return {
    db,
    dialect: 'postgres',
    identityChanges,
    withStartupLock,
    reading,
    writePosition,
    readingAtLeast,
    replicas: () => replicas.map((r) => ({ url: r.url, up: r.downUntil <= Date.now() })),
    close: async () => {
      await Promise.all(replicas.map((r) => r.db.destroy()));
      await db.destroy();
    },
  };
}

export function openDatabase(
  config: DatabaseConfig,
  options: { sqliteSynchronous?: 'FULL' | 'NORMAL' } = {},
): Database {
  return config.dialect === 'sqlite'
    ? openSqlite(config.path, options.sqliteSynchronous)
    : openPostgres(config.url, config.poolSize, config.readUrls);
}

/** The one transaction helper services use: fn runs in a transaction that commits when it resolves. */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
