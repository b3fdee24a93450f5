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

/** Each figure is measured for ROUNDS × ROUND_MS, its rounds taking turns with the others'. */
const ROUNDS = 6;
const ROUND_MS = 500;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Something measured: runs its unit of work for `ms` and says how many it completed. */
interface Rig {
  run(ms: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Rates per second of each rig, measured in turns (a round of each, then again) so that a change in
 * the machine's load during the run (it shares its two cores) weighs on every figure alike instead
 * of on whichever happened to be measured then.
 */
async function ratesInTurns(rigs: Rig[]): Promise<number[]> {
  const counts = rigs.map(() => 0);
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, rig] of rigs.entries()) counts[i]! += await rig.run(ROUND_MS);
  return counts.map((count) => (count * 1000) / (ROUNDS * ROUND_MS));
}

async function countFor(ms: number, unit: (n: number) => unknown): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) await unit(n++);
  return n;
}

/**
 * Transfers through the wallet service, each one durable transaction (the two accounts read, two
 * balance rows, the posting, the audit row and one queued notice for both sides). `clients` callers
 * run at once, each moving money back and forth between its own two wallets, as independent
 * subscribers would; on SQLite they queue for the single writer and those waiting together share
 * one commit (src/db/sqlite-driver.ts), on PostgreSQL their transactions overlap.
 */
async function transferRig(database: DatabaseConfig, clients: number): Promise<Rig> {
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
  return {
    async run(ms) {
      const done = await Promise.all(
        pairs.map((pair) =>
          countFor(ms, (n) =>
            ctx.wallet.transfer(
              pair[n % 2]!.id,
              { to: pair[1 - (n % 2)]!.email, amount: { amount: 1, currency: config.currency } },
              async () => {},
              system,
              'bench',
            ),
          ),
        ),
      );
      return done.reduce((a, b) => a + b, 0);
    },
    async close() {
      const problems = await ctx.ledger.verify(ctx.database.db);
      await closeAppContext(ctx);
      if (problems.length) throw new Error(`ledger not clean after the benchmark: ${problems[0]}`);
    },
  };
}

/** The raw baseline and transfers with one and with eight clients, in turns; the rows they make. */
async function compare(
  dialect: string,
  raw: { name: string; rig: Rig },
  databases: [DatabaseConfig, DatabaseConfig],
): Promise<BenchRow[]> {
  const rigs = [raw.rig, await transferRig(databases[0], 1), await transferRig(databases[1], 8)];
  const [baseline, ...transfers] = await ratesInTurns(rigs);
  for (const rig of rigs) await rig.close();
  return transfers.map((value, i) => ({
    name: `durable transfers/s, ${dialect}, ${i === 0 ? '1 client' : '8 clients'}`,
    value,
    unit: 'tx/s',
    baseline: { name: raw.name, value: baseline! },
    goal: 'ratio ≥ 0.5',
  }));
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
    const rawRig: Rig = {
      async run(ms) {
        const end = performance.now() + ms;
        let n = 0;
        while (performance.now() < end) {
          begin.run();
          insert.run('x');
          commit.run();
          n++;
        }
        return n;
      },
      async close() {
        raw.close();
      },
    };
    return await compare(
      'SQLite (synchronous=FULL)',
      { name: "raw single-row fsync'd transactions/s, same disk", rig: rawRig },
      [
        { dialect: 'sqlite', path: path.join(dir, 'esimdesk.db') },
        { dialect: 'sqlite', path: path.join(dir, 'concurrent.db') },
      ],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRows(): Promise<BenchRow[]> {
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.warn(`PostgreSQL benchmark skipped: ${(error as Error).message}`);
    return [];
  }
  const names = [1, 8].map((clients) => `esimdesk_bench_${process.pid}_${clients}`);
  const urlOf = (name: string) => {
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  try {
    for (const name of names) {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name}`);
    }
    const client = new pg.Client({ connectionString: urlOf(names[0]!) });
    await client.connect();
    await client.query('create table t (id bigserial primary key, v text)');
    const rawRig: Rig = {
      run: (ms) =>
        countFor(ms, async () => {
          await client.query('begin');
          await client.query("insert into t (v) values ('x')");
          await client.query('commit');
        }),
      close: () => client.end(),
    };
    return await compare('PostgreSQL', { name: 'raw single-row transactions/s, same server', rig: rawRig }, [
      { dialect: 'postgres', url: urlOf(names[0]!) },
      { dialect: 'postgres', url: urlOf(names[1]!) },
    ]);
  } finally {
    for (const name of names) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

export async function run(): Promise<BenchRow[]> {
  return [...(await sqliteRows()), ...(await postgresRows())];
}
