import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import type { DatabaseConfig } from '../src/config.js';
import { loadConfig } from '../src/config.js';
import { closeAppContext, createAppContext } from '../src/context.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type BenchRow, load } from './harness.js';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A signed-in subscriber's bearer token, through the real one-time-code flow. */
async function tokenFor(base: string, ctx: ReturnType<typeof createAppContext>): Promise<string> {
  const email = 'bench@example.com';
  const post = (url: string, body: unknown) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<Record<string, string>>);
  const sent = await post('/api/v1/auth/codes', { channel: 'email', to: email });
  await ctx.runner.drain();
  const [message] = await ctx.notifications.devMessages(email);
  const code = /\b(\d{6})\b/.exec(message?.text ?? '')?.[1];
  return (await post('/api/v1/auth/sessions', { challengeId: sent.challengeId, code }))!.token!;
}

/** Authenticated GET /api/v1/me/balance at 50 connections (session lookup, guard, ledger read). */
async function measure(
  database: DatabaseConfig,
  label: string,
  bareRps: number,
  bareP99: number,
): Promise<BenchRow[]> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RUNNER_ENABLED: 'false',
    RATE_LIMIT_PER_MINUTE: '10000000',
  });
  const ctx = createAppContext(
    { ...config, database },
    { logger: createLogger('silent'), database: openDatabase(database) },
  );
  await migrateToLatest(ctx.database.db);
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    const token = await tokenFor(base, ctx);
    const headers = { authorization: `Bearer ${token}` };
    await load(`${base}/api/v1/me/balance`, { seconds: 1, headers });
    const measured = await load(`${base}/api/v1/me/balance`, { headers });
    if (measured.non2xx || measured.errors)
      throw new Error(`balance answered ${measured.non2xx} non-2xx, ${measured.errors} errors`);
    return [
      {
        name: `${label}: GET /api/v1/me/balance req/s (50 connections, signed in)`,
        value: measured.requestsPerSecond,
        unit: 'req/s',
        baseline: { name: 'bare Fastify hello', value: bareRps },
        // Issue 22's goals: SQLite at half a bare hello, PostgreSQL (a network round trip per request) at 0.35.
        goal: label.startsWith('PostgreSQL') ? 'ratio ≥ 0.35' : 'ratio ≥ 0.5',
      },
      {
        name: `${label}: GET /api/v1/me/balance p99`,
        value: measured.p99Ms,
        unit: 'ms',
        baseline: { name: 'bare Fastify hello p99', value: bareP99 },
        goal: '≤ 15 ms',
      },
    ];
  } finally {
    await app.close();
    await closeAppContext(ctx);
  }
}

export async function run(): Promise<BenchRow[]> {
  const bare = Fastify();
  bare.get('/', async () => ({ hello: 'world' }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/`;
  await load(bareUrl, { seconds: 1 });
  const baseline = await load(bareUrl);
  await bare.close();

  const rows: BenchRow[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-bench-'));
  try {
    rows.push(
      ...(await measure(
        { dialect: 'sqlite', path: path.join(dir, 'bench.db') },
        'SQLite',
        baseline.requestsPerSecond,
        baseline.p99Ms,
      )),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const name = `esimdesk_bench_bal_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.warn(`PostgreSQL benchmark skipped: ${(error as Error).message}`);
    return rows;
  }
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  try {
    rows.push(
      ...(await measure(
        { dialect: 'postgres', url: url.toString() },
        'PostgreSQL',
        baseline.requestsPerSecond,
        baseline.p99Ms,
      )),
    );
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
  return rows;
}
