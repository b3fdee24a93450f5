import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, inject, it } from 'vitest';
import type { DatabaseConfig } from '../../src/config.js';
import { type Database, type Dialect, openPostgres, openSqlite } from '../../src/db/database.js';
import { TEST_ENV } from './env.js';

export const DIALECTS: Dialect[] = TEST_ENV.dialects;

export interface TestDatabase {
  dialect: Dialect;
  config: DatabaseConfig;
  database: Database;
  /** Closes the connection and removes the database. */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database of the given dialect (a copy of the run's template), private to the caller. */
export async function createTestDatabase(
  dialect: Dialect,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-test-'));
    const file = path.join(dir, 'esimdesk.db');
    if (migrate) fs.copyFileSync(inject('sqliteTemplate'), file);
    const database = openSqlite(file);
    return {
      dialect,
      config: { dialect, path: file },
      database,
      drop: async () => {
        await database.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const template = inject('pgTemplate');
  if (!template) throw new Error(`PostgreSQL unavailable: ${inject('pgSkipReason')}`);
  const name = `esimdesk_t_${template.slice('esimdesk_tpl_'.length)}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_ENV.pgUrl });
  await admin.connect();
  try {
    await admin.query(migrate ? `create database ${name} template ${template}` : `create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(TEST_ENV.pgUrl, name);
  const database = openPostgres(url, 10);
  return {
    dialect,
    config: { dialect, url },
    database,
    drop: async () => {
      await database.close();
      const client = new pg.Client({ connectionString: TEST_ENV.pgUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Declares the suite once per dialect (SQLite, PostgreSQL). Without PostgreSQL outside CI the
 * PostgreSQL copy is skipped (global setup already said so loudly); in CI global setup fails instead.
 */
export function describeEachDialect(name: string, suite: (dialect: Dialect) => void): void {
  for (const dialect of DIALECTS) {
    const available = dialect === 'sqlite' || inject('pgTemplate') !== null;
    (available ? describe : describe.skip)(`${name} [${dialect}]`, () => suite(dialect));
  }
}

/**
 * `it` where a test applies, nothing where it does not (a PostgreSQL-only EXPLAIN, a SQLite-only
 * full disk): such a test is not defined for the other dialect rather than reported as skipped,
 * since a skipped test in CI means something that should have run did not.
 */
export function itWhere(applies: boolean): typeof it {
  return applies ? it : ((() => undefined) as unknown as typeof it);
}
