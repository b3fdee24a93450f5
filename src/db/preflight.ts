import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Sqlite from 'better-sqlite3';
import type pg from 'pg';
import type { DatabaseConfig } from '../config.js';

/**
 * A DATABASE_URL that cannot work, found before anything starts: `message` names the variable and
 * says what is wrong in one line; `unavailable` says the server may come back (exit 69) rather than
 * the setting being wrong (exit 78).
 */
export class DatabaseUrlError extends Error {
  constructor(
    message: string,
    readonly unavailable = false,
  ) {
    super(`DATABASE_URL: ${message}`);
    this.name = 'DatabaseUrlError';
  }
}

/** The directory `npm start` uses when DATABASE_URL is not set: created on first start. */
const DEFAULT_SQLITE_DIR = path.resolve('data');
const CONNECT_TIMEOUT_MS = 5000;

// statfs(2) magic numbers of kernel file systems that look like directories but hold no files of ours.
const SPECIAL_FILE_SYSTEMS: Record<number, string> = {
  40864: 'proc',
  1650812274: 'sysfs',
  2613483: 'cgroup',
  1667723888: 'cgroup2',
  1684170528: 'debugfs',
  1953653091: 'tracefs',
  1935894131: 'securityfs',
  3405662737: 'bpf',
  1634035564: 'pstore',
};

const require = createRequire(import.meta.url);

function explain(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EROFS':
      return 'is on a read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'is not writable by this user';
    case 'ENOSPC':
      return 'is on a full disk';
    default:
      return `cannot be written (${e?.code ?? e?.message ?? String(error)})`;
  }
}

function checkSqlite(file: string): void {
  if (file === ':memory:') return;
  const dir = path.dirname(file);
  let stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat && dir === DEFAULT_SQLITE_DIR) {
    fs.mkdirSync(dir, { recursive: true });
    stat = fs.statSync(dir);
  }
  if (!stat) throw new DatabaseUrlError(`the directory ${dir} does not exist (create it first)`);
  if (!stat.isDirectory()) throw new DatabaseUrlError(`${dir} is not a directory`);
  const kind = SPECIAL_FILE_SYSTEMS[Number(fs.statfsSync(dir).type)];
  if (kind)
    throw new DatabaseUrlError(`${dir} is on the ${kind} file system, not a place for a database file`);
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  if (existing && !existing.isFile()) throw new DatabaseUrlError(`${file} exists and is not a regular file`);
  if (existing) {
    try {
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
    } catch (error) {
      throw new DatabaseUrlError(`${file} ${explain(error)}`);
    }
  }
  // SQLite keeps its write-ahead log and shared-memory index beside the database file.
  const probe = path.join(dir, `.esimdesk-probe-${process.pid}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe);
  } catch (error) {
    throw new DatabaseUrlError(`the directory ${dir} ${explain(error)}`);
  }
  const Driver = require('better-sqlite3') as typeof Sqlite;
  let db: Sqlite.Database | null = null;
  try {
    db = new Driver(file, { timeout: CONNECT_TIMEOUT_MS });
    db.pragma('schema_version');
  } catch (error) {
    const e = error as { code?: string; message?: string };
    throw new DatabaseUrlError(
      e.code === 'SQLITE_NOTADB'
        ? `${file} is not a SQLite database`
        : `${file} cannot be opened as a SQLite database (${e.code ?? e.message})`,
    );
  } finally {
    db?.close();
  }
}

async function checkPostgres(url: string): Promise<void> {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || '5432'}`;
  const database = decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres';
  const driver = require('pg') as typeof pg;
  const client = new driver.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const e = error as { code?: string; message?: string; errors?: { code?: string }[] };
    const code = e.code ?? e.errors?.[0]?.code;
    switch (code) {
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        throw new DatabaseUrlError(`the host ${u.hostname} is not found`, true);
      case 'ECONNREFUSED':
        throw new DatabaseUrlError(`nothing accepts connections at ${where} (is PostgreSQL running?)`, true);
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        throw new DatabaseUrlError(`${where} cannot be reached from here`, true);
      case '57P03':
        throw new DatabaseUrlError(`PostgreSQL at ${where} is starting up or shutting down`, true);
      case '28P01':
      case '28000':
        throw new DatabaseUrlError(`PostgreSQL at ${where} refused the login (${e.message})`);
      case '3D000':
        throw new DatabaseUrlError(`the database "${database}" does not exist at ${where}`);
    }
    if (/timeout/i.test(e.message ?? ''))
      throw new DatabaseUrlError(`no answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000} s`, true);
    throw new DatabaseUrlError(`cannot connect to ${where}: ${e.message ?? code}`, true);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Checks that the configured database can be opened and written to; throws DatabaseUrlError if not. */
export async function checkDatabase(config: DatabaseConfig): Promise<void> {
  if (config.dialect === 'sqlite') checkSqlite(config.path);
  else await checkPostgres(config.url);
}
