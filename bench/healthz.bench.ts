import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeAppContext, createAppContext } from '../src/context.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type BenchRow, load } from './harness.js';

/** GET /healthz on the real app (all plugins and hooks) against a bare Fastify "hello" in the same run. */
export async function run(): Promise<BenchRow[]> {
  const bare = Fastify();
  bare.get('/', async () => ({ hello: 'world' }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-bench-'));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: path.join(dir, 'bench.db'),
    RUNNER_ENABLED: 'false',
  });
  const ctx = createAppContext(config);
  await migrateToLatest(ctx.database.db);
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const appUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/healthz`;

  try {
    await load(bareUrl, { seconds: 1 });
    const baseline = await load(bareUrl);
    await load(appUrl, { seconds: 1 });
    const measured = await load(appUrl);
    if (measured.non2xx || measured.errors)
      throw new Error(`healthz answered ${measured.non2xx} non-2xx, ${measured.errors} errors`);
    return [
      {
        name: 'GET /healthz req/s (50 connections)',
        value: measured.requestsPerSecond,
        unit: 'req/s',
        baseline: { name: 'bare Fastify hello', value: baseline.requestsPerSecond },
      },
      {
        name: 'GET /healthz p99 latency',
        value: measured.p99Ms,
        unit: 'ms',
        baseline: { name: 'bare Fastify hello p99', value: baseline.p99Ms },
      },
    ];
  } finally {
    await app.close();
    await closeAppContext(ctx);
    await bare.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
