import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeAppContext, createAppContext } from '../src/context.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { importUsageCsv } from '../src/modules/usage/csv-import.js';
import { eidWithCheckDigits } from '../src/telecom/eid.js';
import { insertSubscriber } from '../test/helpers/accounts.js';
import type { BenchRow } from './harness.js';

const RECORDS = Number(process.env.BENCH_USAGE_RECORDS ?? 1_000_000);
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// For profiling one part alone: BENCH_USAGE_DATABASES=postgres (or sqlite), BENCH_USAGE_EXPORT=0.
const DATABASES = (process.env.BENCH_USAGE_DATABASES ?? 'sqlite,postgres').split(',');
const EXPORT = process.env.BENCH_USAGE_EXPORT !== '0';

/**
 * CPU seconds spent so far by this process and by the PostgreSQL backends serving this database
 * (from /proc: the server runs on this machine), so a run can say where an ingest's time went
 * whatever else the shared machine is doing. Only the backends alive at both readings count fully: a
 * pooled connection that closes between them takes its CPU with it (an underestimate).
 */
async function cpuSeconds(ctx: ReturnType<typeof createAppContext>) {
  const node = process.cpuUsage();
  let server = 0;
  if (ctx.database.dialect === 'postgres') {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity where datname = current_database()`.execute(ctx.database.db);
    for (const { pid } of rows) {
      try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        server += (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {}
    }
  }
  return { node: (node.user + node.system) / 1e6, server };
}

function cpuPerRecord(
  label: string,
  before: { node: number; server: number },
  after: typeof before,
  n: number,
) {
  const us = (s: number) => ((s * 1e6) / n).toFixed(1);
  console.log(
    `${label}: CPU per record: node ${us(after.node - before.node)} µs, PostgreSQL backends ${us(after.server - before.server)} µs`,
  );
}

/** Ingest + rating through the HTTP API and the CSV import, and the export of all records, on one database. */
async function measure(label: string, databaseUrl: string, dir: string): Promise<BenchRow[]> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RUNNER_ENABLED: 'false',
    DATABASE_URL: databaseUrl,
    EXPORT_DIR: path.join(dir, 'exports'),
    TOPUP_MAX_MINOR: '100000000',
    TOPUP_DAILY_MAX_MINOR: '1000000000',
  });
  const ctx = createAppContext(config, {
    logger: createLogger('silent'),
    database: openDatabase(config.database),
  });
  await migrateToLatest(ctx.database.db);
  await ctx.catalog.seedDemo();
  const sub = await insertSubscriber(ctx);
  const system = { type: 'system' as const, id: 'bench' };
  await ctx.wallet.topup(sub.id, { amount: 50_000_000, currency: config.currency }, `bench-${sub.id}`, {
    actor: system,
    requestId: 'bench',
    idempotency: async () => {},
  });
  const plan = (await ctx.catalog.list({ country: 'JP' }, 'en'))[0]!;
  const line = await ctx.lines.buy(sub.id, plan.id, { actor: system, requestId: 'bench', locale: 'en' });
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  ctx.self.url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  await ctx.runner.drain();
  const esim = await ctx.database.db
    .selectFrom('esims')
    .selectAll()
    .where('line_id', '=', line.id)
    .executeTakeFirstOrThrow();
  await ctx.lines.handleProgress(
    {
      iccid: esim.iccid!,
      eid: eidWithCheckDigits('890490320000000000000000000010'),
      profileType: ctx.config.smdp.profileType,
      timestamp: new Date().toISOString(),
      notificationPointId: 4,
      notificationPointStatus: { status: 'Executed-Success' },
    },
    { requester: ctx.config.smdp.callerId, callId: 'bench-install', peer: 'bench' },
  );
  const { key } = await ctx.usage.addServiceKey('bench');
  // Every record is in the line's life and in the past (mediation's records are; a record starting
  // in the future is refused): the line is taken back to yesterday, the records end a minute ago.
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await ctx.database.db
    .updateTable('lines')
    .set({ activated_at: yesterday, created_at: yesterday })
    .where('id', '=', line.id)
    .execute();
  const now = Date.now() - RECORDS - 2 * 60_000;
  const record = (prefix: string, i: number) => ({
    id: `${prefix}${i}`,
    iccid: esim.iccid,
    type: i % 3 === 0 ? 'voice' : i % 3 === 1 ? 'sms' : 'data',
    durationSeconds: 61,
    bytes: 4096,
    counterpart: '+81312345678',
    direction: 'out',
    country: 'JP',
    startedAt: new Date(now + i).toISOString(),
  });

  const half = Math.floor(RECORDS / 2);
  // The mediation client's request bodies are made (and encoded) before the clock starts, as the CSV
  // file is: what is measured is the server taking them in, not the client writing them.
  const bodies: Blob[] = [];
  for (let i = 0; i < half; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, half - i) }, (_, j) => record('h', i + j));
    bodies.push(new Blob([JSON.stringify({ records: batch })]));
  }
  const httpCpu = await cpuSeconds(ctx);
  const httpStart = performance.now();
  let accepted = 0;
  for (const body of bodies) {
    const res = await fetch(`${ctx.self.url}/api/v1/usage/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
    accepted += ((await res.json()) as { accepted: number }).accepted;
  }
  const httpRate = half / ((performance.now() - httpStart) / 1000);
  cpuPerRecord(`${label} HTTP ingest`, httpCpu, await cpuSeconds(ctx), half);
  if (accepted !== half) throw new Error(`HTTP ingest accepted ${accepted} of ${half} records`);

  const csvFile = path.join(dir, `${label}.csv`);
  const out = fs.createWriteStream(csvFile);
  out.write('id,iccid,type,startedAt,durationSeconds,bytes,counterpart,direction,country\n');
  for (let i = 0; i < RECORDS - half; i++) {
    const r = record('c', i);
    out.write(`${r.id},${r.iccid},${r.type},${r.startedAt},61,4096,+81312345678,out,JP\n`);
  }
  await new Promise((r) => out.end(r));
  const csvCpu = await cpuSeconds(ctx);
  const csvStart = performance.now();
  const summary = await importUsageCsv(ctx.usage, csvFile, { batchSize: 10_000 });
  const csvRate = summary.accepted / ((performance.now() - csvStart) / 1000);
  cpuPerRecord(`${label} CSV import`, csvCpu, await cpuSeconds(ctx), summary.accepted);
  if (summary.accepted !== RECORDS - half)
    throw new Error(`CSV import accepted ${summary.accepted} of ${RECORDS - half} records`);

  await app.close();
  await closeAppContext(ctx);
  const ingestRows: BenchRow[] = [
    {
      name: `${label}: usage ingest + rating via HTTP`,
      value: httpRate,
      unit: 'records/s',
      goal: '≥ 100,000',
    },
    { name: `${label}: usage CSV import + rating`, value: csvRate, unit: 'records/s', goal: '≥ 100,000' },
  ];
  if (!EXPORT) return ingestRows;

  // The export runs in a process of its own, from the compiled server as the production runner
  // runs it, so its time and peak memory (main thread and archive worker) are the export's.
  // BENCH_EXPORT_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the export process.
  const nodeArgs = process.env.BENCH_EXPORT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawnSync(
    process.execPath,
    [...nodeArgs, fileURLToPath(new URL('./export-process.mjs', import.meta.url))],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        EXPORT_DIR: path.join(dir, 'exports'),
        ACCOUNT_ID: sub.id,
      },
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`export process failed: ${child.stderr}`);
  const exported = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    seconds: number;
    peakRssMb: number;
    status: string;
  };
  if (exported.status !== 'ready') throw new Error('export failed');
  const exportSeconds = exported.seconds;
  return [
    ...ingestRows,
    {
      // Measured on RECORDS records (1,000,000 unless BENCH_USAGE_RECORDS says otherwise) and
      // scaled linearly to a million: the export streams, so its time grows with the rows.
      name: `${label}: export time per 1,000,000 usage records (measured on ${RECORDS.toLocaleString('en')})`,
      value: (exportSeconds * 1_000_000) / RECORDS,
      unit: 's',
      // Issue 22: PostgreSQL's export within 5 s; SQLite's (one file, no network) keeps its 10 s.
      goal: label.startsWith('PostgreSQL') ? '≤ 5 s' : '≤ 10 s',
    },
    {
      name: `${label}: peak RSS of the process doing the export (${RECORDS.toLocaleString('en')} records)`,
      value: exported.peakRssMb,
      unit: 'MB',
      goal: '≤ 256 MB',
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  // The export is measured on the compiled server, as it runs in production.
  if (EXPORT) {
    const build = spawnSync('npm', ['run', 'build:server'], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build:server failed');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-usage-bench-'));
  const rows: BenchRow[] = [];
  try {
    if (DATABASES.includes('sqlite'))
      rows.push(...(await measure('SQLite', path.join(dir, 'bench.db'), dir)));
    if (!DATABASES.includes('postgres')) return rows;
    const pg = await import('pg');
    const admin = new pg.default.Client({ connectionString: PG_URL });
    const name = `esimdesk_usage_bench_${process.pid}`;
    try {
      await admin.connect();
      await admin.query(`create database ${name}`);
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      rows.push(...(await measure('PostgreSQL', url.toString(), dir)));
    } catch (error) {
      console.warn(`PostgreSQL usage benchmark skipped: ${(error as Error).message}`);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end().catch(() => {});
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
