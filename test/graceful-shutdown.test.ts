import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { defineJob } from '../src/runner/jobs.js';
import { createRunner } from '../src/runner/runner.js';
import { createTestContext, type TestContext } from './helpers/app.js';
import { createTestDatabase, DIALECTS, describeEachDialect, type TestDatabase } from './helpers/db.js';
import {
  callServer,
  freePort,
  type ServerProcess,
  signInToServer,
  startServerProcess,
} from './helpers/process.js';
import { jobRowOf, runnerDeps } from './helpers/runner.js';

describeEachDialect('graceful shutdown: a stopping runner hands its jobs back', (dialect) => {
  let t: TestContext;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock('2026-03-02T08:00:00.000Z');
    t = await createTestContext(dialect, { clock });
  });
  afterEach(() => t.close());

  const jobRow = (id: string) => jobRowOf(t, id);
  const runnerFor = (id: string) =>
    createRunner(
      runnerDeps(t, clock),
      // A lease far longer than the test: a job left to its lease would not run again here.
      { pollIntervalMs: 10, concurrency: 2, leaseMs: 3_600_000, id },
    );

  it('stops claiming, lets a job finish within the grace, and hands back one it had to stop', async () => {
    const runs: string[] = [];
    let finishQuick: () => void = () => {};
    const quickDone = new Promise<void>((resolve) => {
      finishQuick = resolve;
    });
    const quick = defineJob({
      kind: 'test.quick',
      payload: Type.Object({}),
      handle: async (_p, { job }) => {
        runs.push(`quick:${job.locked_by}`);
        await quickDone;
      },
    });
    const slow = defineJob({
      kind: 'test.slow',
      payload: Type.Object({}),
      handle: async (_p, { job, signal }) => {
        runs.push(`slow:${job.locked_by}`);
        if (job.locked_by === 'second') return;
        // Runs until stopped: ends when its signal is aborted.
        await new Promise<void>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      },
    });
    t.ctx.jobs.register(quick);
    t.ctx.jobs.register(slow);
    const quickId = (await t.ctx.jobs.enqueue(t.ctx.database.db, quick, {}))!;
    const slowId = (await t.ctx.jobs.enqueue(t.ctx.database.db, slow, {}))!;

    const first = runnerFor('first');
    first.start();
    await expect.poll(() => runs.length).toBe(2);
    const stopping = first.stop(200);
    finishQuick(); // finishes within the grace: succeeded, not handed back
    await stopping;

    expect(await jobRow(quickId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Stopped under it: queued again, due now, unowned, the attempt not counted.
    const handed = await jobRow(slowId);
    expect(handed).toMatchObject({ status: 'queued', attempts: 0, locked_by: null, locked_until: null });
    expect(Date.parse(handed.run_at)).toBeLessThanOrEqual(clock.now().getTime());
    expect(handed.last_error).toBeNull();

    // Another runner takes it over at once, with the clock where it was (no lease to wait out).
    const second = runnerFor('second');
    expect(await second.drain()).toBeGreaterThanOrEqual(1);
    expect(await jobRow(slowId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect([...runs].sort()).toEqual(['quick:first', 'slow:first', 'slow:second']);
  });

  it('hands back a job that ignores its signal, and its late end changes nothing', async () => {
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const deaf = defineJob({
      kind: 'test.deaf',
      payload: Type.Object({}),
      handle: async (_p, { job }) => {
        runs++;
        if (job.locked_by === 'first') await stuck; // ignores the abort
      },
    });
    t.ctx.jobs.register(deaf);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, deaf, {}))!;
    const first = runnerFor('first');
    first.start();
    await expect.poll(() => runs).toBe(1);
    await first.stop(50); // returns without waiting for the job
    expect(await jobRow(id)).toMatchObject({ status: 'queued', attempts: 0, locked_by: null });

    const second = runnerFor('second');
    expect(await second.drain()).toBeGreaterThanOrEqual(1);
    expect(await jobRow(id)).toMatchObject({ status: 'succeeded', attempts: 1, locked_by: null });
    // The first runner's job ends at last: its finish matches no lease of its own, so nothing changes.
    release();
    await sleep(50);
    expect(await jobRow(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(runs).toBe(2);
  });
});

// An API process and SIGTERM: PostgreSQL only, where a request can be held in flight on a lock
// taken by the test while the process keeps answering (SQLite waits for its lock on the thread).
(DIALECTS.includes('postgres') ? describe : describe.skip)(
  'graceful shutdown: an API process on SIGTERM [postgres]',
  () => {
    let db: TestDatabase;
    let server: ServerProcess;
    beforeAll(async () => {
      db = await createTestDatabase('postgres');
    });
    afterAll(async () => {
      if (server?.child.exitCode === null) await server.stop();
      await db?.drop();
    });

    it('answers /readyz 503 first, then closes its listener and lets the request in flight finish', async () => {
      const url = db.config.dialect === 'postgres' ? db.config.url : '';
      server = await startServerProcess(
        {
          DATABASE_URL: url,
          ESIMDESK_MODE: 'demo',
          CURRENCY: 'CNY',
          RUNNER_POLL_MS: '20',
          SHUTDOWN_DRAIN_MS: '1000',
          SESSION_CACHE_MS: '0',
        },
        await freePort(),
        ['start', '--migrate'],
        undefined,
        120_000,
      );
      const call = (method: string, path: string, token: string | null, body?: unknown) =>
        callServer(server.url, method, path, token, body);
      const token = await signInToServer(call, 'drain@example.com');
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      // A balance read held in flight on a lock taken here.
      const admin = new pg.Client({ connectionString: url, application_name: 'test-admin' });
      await admin.connect();
      await admin.query('begin');
      await admin.query('lock table ledger_accounts in access exclusive mode');
      const inFlight = call('GET', '/api/v1/me/balance', token);
      await expect
        .poll(
          async () =>
            (
              await admin.query(
                "select count(*)::int as n from pg_stat_activity where application_name = 'esimdesk' and wait_event_type = 'Lock'",
              )
            ).rows[0].n,
          { timeout: 30_000, interval: 50 },
        )
        .toBeGreaterThan(0);

      const exited = new Promise<number | null>((resolve) =>
        server.child.once('exit', (code) => resolve(code)),
      );
      server.child.kill('SIGTERM');
      // Draining: not ready, with the reason, while the process still answers everything else.
      await expect
        .poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 30_000, interval: 50 })
        .toBe(503);
      // (The drain may end between the two requests: then the listener is closed, which comes next.)
      const during = await fetch(`${server.url}/readyz`).catch(() => null);
      if (during) expect(await during.json()).toMatchObject({ status: 'not_ready', reason: 'shutting down' });
      // Then the listener closes: no new connection is taken.
      await expect
        .poll(
          async () =>
            fetch(`${server.url}/healthz`).then(
              () => 'open',
              () => 'closed',
            ),
          { timeout: 30_000, interval: 50 },
        )
        .toBe('closed');
      // The request in flight is still being served: it finishes once the lock goes.
      await admin.query('commit');
      await admin.end();
      const answer = await inFlight;
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ amount: 0 });
      expect(await exited).toBe(0);
    }, 180_000);
  },
);
