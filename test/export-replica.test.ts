import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createAppContext } from '../src/context.js';
import { createLogger } from '../src/core/logger.js';
import { type Database, type Db, openDatabase, openPostgres } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { DIALECTS, describeEachDialect } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { type PgCluster, pgBinDir, startPgCluster, startPgReplica } from './helpers/pg-cluster.js';
import { api, type Session, signIn, topUp } from './helpers/session.js';
import { unzip } from './helpers/zip.js';

/** Asks for the subscriber's export, lets the runner build it, and returns the archive's files. */
async function exportOf(t: TestApp, sub: Session): Promise<Map<string, string>> {
  const requested = await api(t, 'POST', '/api/v1/me/exports', { headers: sub.headers });
  expect(requested.status, JSON.stringify(requested.body)).toBe(202);
  await t.ctx.runner.drain();
  const ready = await api(t, 'GET', `/api/v1/me/exports/${requested.body.id}`, { headers: sub.headers });
  expect(ready.body, JSON.stringify(ready.body)).toMatchObject({ status: 'ready' });
  const download = await fetch(`${t.url}${ready.body.downloadUrl}`);
  return unzip(Buffer.from(await download.arrayBuffer()));
}

/** A subscriber who has just topped up `amount`. */
async function toppedUp(t: TestApp, email: string, amount: number): Promise<Session> {
  const sub = await signIn(t, email);
  expect((await topUp(t, sub, amount)).status).toBe(201);
  return sub;
}

describeEachDialect('exports: what the subscriber did before asking', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
  });
  afterEach(async () => {
    await t?.close();
  });

  it('reads on the primary without replicas, and the archive holds the top-up made just before', async () => {
    // Nothing to compare a replica with: readingAtLeast runs on the primary.
    expect(await t.ctx.database.writePosition()).toBeNull();
    const sub = await toppedUp(t, 'just-before@example.com', 700);
    const files = await exportOf(t, sub);
    expect(files.get('ledger.csv')).toContain(',topup,700,700,CNY,');
  });
});

// A private PostgreSQL primary and a real streaming replica of it (pg_basebackup -R) that logs every
// statement it runs, so the test sees where the archive was read; the app in this process with
// DATABASE_URL on the primary and DATABASE_READ_URL on the replica. PostgreSQL only: SQLite has no
// replicas.
const wanted = DIALECTS.includes('postgres');
const bin = pgBinDir();
if (wanted && !bin) {
  const reason = 'no PostgreSQL server binaries under /usr/lib/postgresql to start a primary and replica';
  if (TEST_ENV.ci) throw new Error(`CI=true and ${reason}`);
  console.warn(`\n!!! SKIPPING test/export-replica.test.ts: ${reason}\n`);
}

(wanted && bin ? describe : describe.skip)('exports on a read replica [postgres]', () => {
  let primary: PgCluster;
  let replica: PgCluster;
  let t: TestApp;
  const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-export-replica-'));

  beforeAll(async () => {
    primary = await startPgCluster();
    await primary.query('create database esimdesk');
    // A read that holds up replay is cancelled after a second instead of the default 30.
    replica = await startPgReplica(primary, {
      settings: { log_statement: 'all', max_standby_streaming_delay: '1s' },
    });
    const config = loadConfig({
      ESIMDESK_MODE: 'demo',
      LOG_LEVEL: 'silent',
      RUNNER_ENABLED: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      CURRENCY: 'CNY',
      EXPORT_DIR: exportDir,
      DATABASE_URL: primary.url('esimdesk'),
      DATABASE_READ_URL: replica.url('esimdesk'),
    });
    const database = openDatabase(config.database);
    await migrateToLatest(database.db);
    const ctx = createAppContext(config, { database, logger: createLogger(config.logLevel) });
    const app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    ctx.self.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    t = {
      ctx,
      app,
      url: ctx.self.url,
      db: { dialect: 'postgres', config: config.database, database, drop: () => database.close() },
      close: async () => {
        await ctx.runner.stop();
        await ctx.es2.close();
        await app.close();
        await database.close();
      },
    };
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await replica?.destroy();
    await primary?.destroy();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  /** The statements the replica ran while `fn` ran. */
  async function onReplicaDuring(fn: () => Promise<void>): Promise<string> {
    const before = replica.log().length;
    await fn();
    return replica.log().slice(before);
  }

  it('reads the archive on the replica once it has replayed what the subscriber did before asking', async () => {
    const sub = await toppedUp(t, 'caught-up@example.com', 1000);
    let files = new Map<string, string>();
    const ran = await onReplicaDuring(async () => {
      files = await exportOf(t, sub);
    });
    expect(files.get('ledger.csv')).toContain(',topup,1000,1000,CNY,');
    expect(ran).toContain('pg_last_wal_replay_lsn()');
    expect(ran).toContain('"ledger_postings"');
    expect(ran).toContain('"usage_records"');
  });

  it('waits for a replica that is behind, then reads on the primary: the archive holds the latest top-up', async () => {
    const sub = await signIn(t, 'behind@example.com');
    await replica.pauseReplay('esimdesk');
    try {
      expect((await topUp(t, sub, 2500)).status).toBe(201);
      let files = new Map<string, string>();
      const ran = await onReplicaDuring(async () => {
        files = await exportOf(t, sub);
      });
      expect(files.get('ledger.csv')).toContain(',topup,2500,2500,CNY,');
      // It asked the replica again and again while waiting, and read nothing there.
      expect(ran.split('pg_last_wal_replay_lsn()').length - 1).toBeGreaterThan(1);
      expect(ran).not.toContain('"ledger_postings"');
    } finally {
      await replica.resumeReplay('esimdesk');
    }
  });

  /** Runs `start(read)` with a read that sleeps on the replica holding a table, then drops the table on the primary. */
  async function cancelledByReplay(
    start: (database: Database, read: (db: Db) => Promise<string>) => Promise<string>,
  ) {
    await primary.query('create table replay_conflict (id int)', 'esimdesk');
    await expect
      .poll(async () => (await replica.query("select to_regclass('replay_conflict') as t", 'esimdesk'))[0]!.t)
      .toBe('replay_conflict');
    const database = openPostgres(primary.url('esimdesk'), 2, [replica.url('esimdesk')]);
    try {
      const runs: string[] = [];
      const answer = start(database, async (db) => {
        const on = db === database.db ? 'primary' : 'replica';
        runs.push(on);
        if (on === 'replica')
          await sql`select pg_sleep(10), (select count(*) from replay_conflict)`.execute(db);
        return on;
      });
      await expect
        .poll(async () => {
          const active = await replica.query(
            "select count(*)::int as n from pg_stat_activity where wait_event = 'PgSleep'",
          );
          return active[0]!.n;
        })
        .toBe(1);
      // Sleeping, the read holds the table, which replaying the drop needs.
      await primary.query('drop table replay_conflict', 'esimdesk');
      expect(await answer).toBe('primary');
      expect(runs).toEqual(['replica', 'primary']);
    } finally {
      await database.close();
    }
  }

  it('starts a read afresh on the primary when the replica cancels it in a conflict with replay', async () => {
    await cancelledByReplay(async (database, read) =>
      database.readingAtLeast(await database.writePosition(), read, 5000),
    );
  });

  it('answers a staff read (search, dashboard) on the primary when the replica cancels it for replay', async () => {
    await cancelledByReplay(async (database, read) => database.reading(read));
  });

  it('reads on the primary when the replica is down', async () => {
    await replica.stop('fast');
    const sub = await toppedUp(t, 'replica-down@example.com', 4200);
    const files = await exportOf(t, sub);
    expect(files.get('ledger.csv')).toContain(',topup,4200,4200,CNY,');
  });
});
