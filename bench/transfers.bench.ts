import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { loadConfig } from '../src/config.js';
import { closeAppContext, createAppContext } from '../src/context.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { insertSubscriber } from '../test/helpers/accounts.js';
import type { BenchRow } from './harness.js';

const SECONDS = 3;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function perSecond(fn: () => void): number {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n / SECONDS;
}

async function perSecondAsync(fn: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return n / SECONDS;
}

/**
 * Transfers through the wallet service, each one durable transaction (~12 statements: checks, two
 * balance rows, the posting, audit, four notifications and their delivery jobs). `clients` callers
 * run at once, each moving money back and forth between its own two wallets, as independent
 * subscribers would; on SQLite they queue for the single writer and those waiting together share
 * one commit (src/db/sqlite-driver.ts), on PostgreSQL their transactions overlap.
 */
async function transfersPerSecond(database: DatabaseConfig, clients: number): Promise<number> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RUNNER_ENABLED: 'false',
    TOPUP_MAX_MINOR: '100000000',
    TOPUP_DAILY_MAX_MINOR: '1000000000',
  });
  const ctx = createAppContext(
    { ...config, database },
    { logger: createLogger('silent'), database: openDatabase(database) },
  );
  await migrateToLatest(ctx.database.db);
  const system = { type: 'system' as const, id: 'bench' };
  const pairs: { id: string; email: string }[][] = [];
  for (let c = 0; c < clients; c++) {
    const pair = [await insertSubscriber(ctx), await insertSubscriber(ctx)];
    for (const { id } of pair) {
      await ctx.wallet.topup(
        id,
        { amount: 50_000_000, currency: config.currency },
        `bench:${id}`,
        async () => {},
        system,
        'bench',
      );
    }
    pairs.push(pair);
  }
  const end = performance.now() + SECONDS * 1000;
  const done = await Promise.all(
    pairs.map(async (pair) => {
      let n = 0;
      while (performance.now() < end) {
        const from = n++ % 2;
        await ctx.wallet.transfer(
          pair[from]!.id,
          { to: pair[1 - from]!.email, amount: { amount: 1, currency: config.currency } },
          async () => {},
          system,
          'bench',
        );
      }
      return n;
    }),
  );
  const problems = await ctx.ledger.verify(ctx.database.db);
  if (problems.length) throw new Error(`ledger not clean after the benchmark: ${problems[0]}`);
  await closeAppContext(ctx);
  return done.reduce((a, b) => a + b, 0) / SECONDS;
}

async function sqliteRows(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-bench-'));
  try {
    const raw = new Sqlite(path.join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('create table t (id integer primary key, v text)');
    const insert = raw.prepare('insert into t (v) values (?)');
    const begin = raw.prepare('begin immediate');
    const commit = raw.prepare('commit');
    const baseline = perSecond(() => {
      begin.run();
      insert.run('x');
      commit.run();
    });
    raw.close();
    const transfers = await transfersPerSecond({ dialect: 'sqlite', path: path.join(dir, 'esimdesk.db') }, 1);
    const concurrent = await transfersPerSecond(
      { dialect: 'sqlite', path: path.join(dir, 'concurrent.db') },
      8,
    );
    const rawBaseline = { name: "raw single-row fsync'd transactions/s, same disk", value: baseline };
    return [
      {
        name: 'durable transfers/s, SQLite (synchronous=FULL), 1 client',
        value: transfers,
        unit: 'tx/s',
        baseline: rawBaseline,
        goal: 'ratio ≥ 0.5',
      },
      {
        name: 'durable transfers/s, SQLite (synchronous=FULL), 8 clients',
        value: concurrent,
        unit: 'tx/s',
        baseline: rawBaseline,
        goal: 'ratio ≥ 0.5',
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRows(): Promise<BenchRow[]> {
  const name = `esimdesk_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.warn(`PostgreSQL benchmark skipped: ${(error as Error).message}`);
    return [];
  }
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  try {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query('create table t (id bigserial primary key, v text)');
    const baseline = await perSecondAsync(async () => {
      await client.query('begin');
      await client.query("insert into t (v) values ('x')");
      await client.query('commit');
    });
    await client.end();
    const transfers = await transfersPerSecond({ dialect: 'postgres', url: url.toString() }, 1);
    const concurrent = await transfersPerSecond({ dialect: 'postgres', url: url.toString() }, 8);
    return [
      {
        name: 'durable transfers/s, PostgreSQL, 1 client',
        value: transfers,
        unit: 'tx/s',
        baseline: { name: 'raw single-row transactions/s, same server', value: baseline },
        goal: 'ratio ≥ 0.5',
      },
      {
        name: 'durable transfers/s, PostgreSQL, 8 clients',
        value: concurrent,
        unit: 'tx/s',
        baseline: { name: 'raw single-row transactions/s, same server', value: baseline },
        goal: 'ratio ≥ 0.5',
      },
    ];
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

export async function run(): Promise<BenchRow[]> {
  return [...(await sqliteRows()), ...(await postgresRows())];
}
