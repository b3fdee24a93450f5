import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { DEFAULT_POOL_SIZE, loadConfig } from '../src/config.js';
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
/** The pool each esimdesk process keeps (DATABASE_POOL_SIZE, else the default for this machine); in the row names. */
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE || DEFAULT_POOL_SIZE);

/** Something measured: runs its unit of work for `ms` and says how many it completed. */
interface Work {
  run(ms: number): Promise<number>;
  close(): Promise<void>;
}

/** A measured figure: its work, its name, and the CPU the database server spends on it. */
interface Rig extends Work {
  /** What the figure is called in the CPU lines printed after the run. */
  label: string;
  /** CPU seconds used so far by the database server's processes serving this rig (PostgreSQL); 0 for SQLite. */
  serverCpu(): Promise<number>;
}

/** CPU seconds (user + system) used so far by the PostgreSQL backends connected to `database`, from /proc. */
async function backendCpu(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
    database,
  ]);
  let seconds = 0;
  for (const { pid } of rows) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      seconds += (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
    } catch {}
  }
  return seconds;
}

/**
 * Rates per second of each rig, measured in turns (a round of each, then again) so that a change in
 * the machine's load during the run (it shares its two cores) weighs on every figure alike instead
 * of on whichever happened to be measured then.
 */
async function ratesInTurns(rigs: Rig[]): Promise<number[]> {
  const counts = rigs.map(() => 0);
  const nodeUser = rigs.map(() => 0);
  const nodeSystem = rigs.map(() => 0);
  const serverCpu = rigs.map(() => 0);
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, rig] of rigs.entries()) {
      const node = process.cpuUsage();
      const server = await rig.serverCpu();
      counts[i]! += await rig.run(ROUND_MS);
      const used = process.cpuUsage(node);
      nodeUser[i]! += used.user / 1e6;
      nodeSystem[i]! += used.system / 1e6;
      serverCpu[i]! += (await rig.serverCpu()) - server;
    }
  // Where each unit of work's CPU goes (this process, and the database server's backends): on two
  // shared cores the rates are bounded by it, so it says why a ratio is what it is.
  for (const [i, rig] of rigs.entries()) {
    const us = (seconds: number) => ((seconds * 1e6) / Math.max(1, counts[i]!)).toFixed(0);
    console.log(
      `${rig.label}: CPU per transaction: node ${us(nodeUser[i]!)} µs user + ${us(nodeSystem[i]!)} µs system, database server ${us(serverCpu[i]!)} µs`,
    );
  }
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
async function transferRig(database: DatabaseConfig, clients: number): Promise<Work> {
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
      await ctx.wallet.topup(id, { amount: 50_000_000, currency: config.currency }, `bench:${id}`, {
        actor: system,
        requestId: 'bench',
        idempotency: async () => {},
      });
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
              { actor: system, requestId: 'bench', idempotency: async () => {} },
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

/** Numbers of concurrent callers each transfer figure is measured at. */
const CONCURRENCY = [1, 8, 32] as const;

/**
 * Transfers at each concurrency, each beside a raw baseline measured at the same concurrency (a
 * rate is only comparable with the baseline's rate under the same number of callers), all in turns.
 */
async function compare(
  dialect: string,
  raw: { name: string; rig: (clients: number) => Promise<Work> },
  database: (clients: number) => DatabaseConfig,
  serverCpu: (which: 'raw' | number) => Promise<number> = async () => 0,
): Promise<BenchRow[]> {
  const rigs: Rig[] = [];
  const of = (clients: number) => `${clients} client${clients === 1 ? '' : 's'}`;
  for (const clients of CONCURRENCY)
    rigs.push(
      {
        ...(await raw.rig(clients)),
        label: `${dialect} raw, ${of(clients)}`,
        serverCpu: () => serverCpu('raw'),
      },
      {
        ...(await transferRig(database(clients), clients)),
        label: `${dialect} transfer, ${of(clients)}`,
        serverCpu: () => serverCpu(clients),
      },
    );
  const rates = await ratesInTurns(rigs);
  for (const rig of rigs) await rig.close();
  return CONCURRENCY.map((clients, i) => ({
    name: `durable transfers/s, ${dialect}, ${clients} client${clients === 1 ? '' : 's'}${dialect === 'PostgreSQL' ? ` (pool ${POOL_SIZE})` : ''}`,
    value: rates[2 * i + 1]!,
    unit: 'tx/s',
    baseline: { name: `${raw.name}, ${clients} client${clients === 1 ? '' : 's'}`, value: rates[2 * i]! },
    goal: dialect.startsWith('SQLite') && clients > 1 ? 'ratio ≥ 1.0' : 'ratio ≥ 0.5',
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
    // SQLite has one writer and better-sqlite3 is synchronous: N callers of the raw loop in one process
    // commit one after another, as one caller does, so the raw rate is the same at every concurrency.
    // The goal at 8 and 32 callers (ratio ≥ 1) is that callers waiting together share one fsync.
    const rawRig = async (): Promise<Work> => ({
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
      async close() {},
    });
    try {
      return await compare(
        'SQLite (synchronous=FULL)',
        { name: "raw single-row fsync'd transactions/s, same disk", rig: rawRig },
        (clients) => ({ dialect: 'sqlite', path: path.join(dir, `esimdesk-${clients}.db`) }),
      );
    } finally {
      raw.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** pgbench's one-insert script at `clients` (Debian's pgbench, -j 2 -T 3): an outside anchor for the raw rate. */
function pgbench(url: string, clients: number): number | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-pgbench-'));
  try {
    const script = path.join(dir, 'insert.sql');
    fs.writeFileSync(script, "insert into t (v) values ('x');\n");
    const out = execFileSync(
      'pgbench',
      ['-n', '-c', String(clients), '-j', '2', '-T', '3', '-f', script, url],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const tps = /tps = ([\d.]+)/.exec(out)?.[1];
    return tps ? Number(tps) : null;
  } catch (error) {
    console.warn(`pgbench not run: ${(error as Error).message.split('\n')[0]}`);
    return null;
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
  const names = ['raw', ...CONCURRENCY.map(String)].map(
    (suffix) => `esimdesk_bench_${process.pid}_${suffix}`,
  );
  const urlOf = (name: string) => {
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const rawUrl = urlOf(names[0]!);
  try {
    for (const name of names) {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name}`);
    }
    const setup = new pg.Client({ connectionString: rawUrl });
    await setup.connect();
    await setup.query('create table t (id bigserial primary key, v text)');
    await setup.end();
    // The raw baseline at N clients: N connections, each committing one-row transactions in a loop.
    const rawRig = async (clients: number): Promise<Work> => {
      const connections = await Promise.all(
        Array.from({ length: clients }, async () => {
          const client = new pg.Client({ connectionString: rawUrl });
          await client.connect();
          return client;
        }),
      );
      return {
        async run(ms) {
          const done = await Promise.all(
            connections.map((client) =>
              countFor(ms, async () => {
                await client.query('begin');
                await client.query("insert into t (v) values ('x')");
                await client.query('commit');
              }),
            ),
          );
          return done.reduce((a, b) => a + b, 0);
        },
        close: async () => {
          await Promise.all(connections.map((client) => client.end()));
        },
      };
    };
    const rows = await compare(
      'PostgreSQL',
      { name: 'raw single-row transactions/s, same server', rig: rawRig },
      (clients) => ({
        dialect: 'postgres',
        url: urlOf(names[1 + CONCURRENCY.indexOf(clients as (typeof CONCURRENCY)[number])]!),
        poolSize: POOL_SIZE,
      }),
      (which) =>
        backendCpu(
          admin,
          which === 'raw'
            ? names[0]!
            : names[1 + CONCURRENCY.indexOf(which as (typeof CONCURRENCY)[number])]!,
        ),
    );
    for (const clients of CONCURRENCY) {
      const tps = pgbench(rawUrl, clients);
      if (tps !== null)
        rows.push({
          name: `pgbench one-insert script, ${clients} client${clients === 1 ? '' : 's'} (-j 2 -T 3; outside anchor)`,
          value: tps,
          unit: 'tx/s',
        });
    }
    return rows;
  } finally {
    for (const name of names) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** BENCH_TRANSFER_DATABASES=sqlite or =postgres measures one alone (e.g. under `node --cpu-prof`). */
const DATABASES = (process.env.BENCH_TRANSFER_DATABASES ?? 'sqlite,postgres').split(',');

export async function run(): Promise<BenchRow[]> {
  return [
    ...(DATABASES.includes('sqlite') ? await sqliteRows() : []),
    ...(DATABASES.includes('postgres') ? await postgresRows() : []),
  ];
}
