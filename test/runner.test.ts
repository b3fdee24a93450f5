import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from 'typebox';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createAppContext } from '../src/context.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { defineJob } from '../src/runner/jobs.js';
import { createRunner } from '../src/runner/runner.js';
import { createTestContext, type TestContext } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { jobRowOf, runnerDeps } from './helpers/runner.js';

describeEachDialect('background runner', (dialect) => {
  let t: TestContext;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock('2026-03-02T08:00:00.000Z');
    t = await createTestContext(dialect, { clock });
  });
  afterEach(() => t.close());

  const jobRow = (id: string) => jobRowOf(t, id);

  it('retries a failing job with exponential backoff, then succeeds', async () => {
    let calls = 0;
    const flaky = defineJob({
      kind: 'test.flaky',
      payload: Type.Object({ n: Type.Integer() }),
      handle: async ({ n }) => {
        calls++;
        expect(n).toBe(7);
        if (calls < 3) throw new Error(`boom ${calls}`);
      },
    });
    t.ctx.jobs.register(flaky);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, flaky, { n: 7 }))!;

    expect(await t.ctx.runner.runDue()).toBe(1);
    let row = await jobRow(id);
    expect(row).toMatchObject({ status: 'queued', attempts: 1, last_error: 'boom 1' });
    const firstDelay = Date.parse(row.run_at) - clock.now().getTime();
    expect(firstDelay).toBeGreaterThanOrEqual(500);
    expect(firstDelay).toBeLessThanOrEqual(1000);

    expect(await t.ctx.runner.runDue()).toBe(0);
    clock.advance(firstDelay);
    expect(await t.ctx.runner.runDue()).toBe(1);
    row = await jobRow(id);
    expect(row).toMatchObject({ status: 'queued', attempts: 2, last_error: 'boom 2' });
    const secondDelay = Date.parse(row.run_at) - clock.now().getTime();
    expect(secondDelay).toBeGreaterThanOrEqual(1000);
    expect(secondDelay).toBeLessThanOrEqual(2000);

    clock.advance(secondDelay);
    expect(await t.ctx.runner.runDue()).toBe(1);
    row = await jobRow(id);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 3, locked_by: null });
    expect(calls).toBe(3);
  });

  it('dead-letters a job after its attempts and shows it in the metrics', async () => {
    const hopeless = defineJob({
      kind: 'test.hopeless',
      payload: Type.Object({}),
      maxAttempts: 3,
      handle: async () => {
        throw new Error('SM-DP+ said no');
      },
    });
    t.ctx.jobs.register(hopeless);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, hopeless, {}))!;
    for (let i = 0; i < 3; i++) {
      clock.advance(60 * 60 * 1000);
      expect(await t.ctx.runner.runDue()).toBe(1);
    }
    clock.advance(60 * 60 * 1000);
    expect(await t.ctx.runner.runDue()).toBe(0);
    expect(await jobRow(id)).toMatchObject({ status: 'dead', attempts: 3, last_error: 'SM-DP+ said no' });
    const metrics = await t.ctx.metrics.registry.metrics();
    expect(metrics).toContain('runner_jobs_dead_total{kind="test.hopeless"} 1');
    expect(metrics).toContain('runner_jobs_failed_total{kind="test.hopeless"} 3');
    expect(metrics).toContain('runner_queue_depth{status="dead"} 1');
  });

  it('enqueues inside the caller transaction: a rollback leaves no job', async () => {
    const noop = defineJob({ kind: 'test.noop', payload: Type.Object({}), handle: async () => {} });
    t.ctx.jobs.register(noop);
    await expect(
      t.ctx.database.db.transaction().execute(async (tx) => {
        await t.ctx.jobs.enqueue(tx, noop, {});
        throw new Error('the business write failed');
      }),
    ).rejects.toThrow('the business write failed');
    expect(await t.ctx.database.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('enqueues a job with an idempotency key once', async () => {
    const daily = defineJob({ kind: 'test.daily', payload: Type.Object({}), handle: async () => {} });
    t.ctx.jobs.register(daily);
    const first = await t.ctx.jobs.enqueue(
      t.ctx.database.db,
      daily,
      {},
      { idempotencyKey: 'daily:2026-03-02' },
    );
    const second = await t.ctx.jobs.enqueue(
      t.ctx.database.db,
      daily,
      {},
      { idempotencyKey: 'daily:2026-03-02' },
    );
    expect(first).not.toBeNull();
    expect(second).toBeNull();
  });

  it('refuses a payload that does not match the job schema', async () => {
    const typed = defineJob({
      kind: 'test.typed',
      payload: Type.Object({ id: Type.String() }),
      handle: async () => {},
    });
    t.ctx.jobs.register(typed);
    await expect(t.ctx.jobs.enqueue(t.ctx.database.db, typed, { id: 5 } as never)).rejects.toThrow(
      /invalid payload/,
    );
  });

  it('takes over a job whose runner died mid-run once the lease expires', async () => {
    let runs = 0;
    const work = defineJob({
      kind: 'test.work',
      payload: Type.Object({}),
      handle: async () => {
        runs++;
      },
    });
    t.ctx.jobs.register(work);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, work, {}))!;
    const leaseUntil = new Date(clock.now().getTime() + 5 * 60 * 1000).toISOString();
    await t.ctx.database.db
      .updateTable('jobs')
      .set({ status: 'running', attempts: 1, locked_by: 'dead-runner', locked_until: leaseUntil })
      .where('id', '=', id)
      .execute();
    expect(await t.ctx.runner.runDue()).toBe(0);
    clock.advance(5 * 60 * 1000 + 1);
    expect(await t.ctx.runner.runDue()).toBe(1);
    expect(await jobRow(id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(runs).toBe(1);
  });

  it('runs the failure path of a job whose runner died on its final attempt, then dead-letters it', async () => {
    const failures: Array<{ n: number; reason: string }> = [];
    let runs = 0;
    let failurePathBroken = true;
    const last = defineJob({
      kind: 'test.last',
      payload: Type.Object({ n: Type.Integer() }),
      maxAttempts: 3,
      handle: async () => {
        runs++;
      },
      onDeadLetter: async ({ n }, { reason }) => {
        failures.push({ n, reason });
        if (failurePathBroken) throw new Error('database away');
      },
    });
    t.ctx.jobs.register(last);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, last, { n: 4 }))!;
    // A runner claimed the final attempt and died (no renewal, no finish).
    await t.ctx.database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        attempts: 3,
        last_error: 'timeout',
        locked_by: 'dead-runner',
        locked_until: new Date(clock.now().getTime() + 30_000).toISOString(),
      })
      .where('id', '=', id)
      .execute();
    expect(await t.ctx.runner.runDue()).toBe(0);
    clock.advance(30_001);
    // Its failure path fails at first: it is retried later, the job is not dead yet.
    expect(await t.ctx.runner.runDue()).toBe(1);
    expect(failures).toEqual([{ n: 4, reason: 'lease expired on the final attempt' }]);
    let row = await jobRow(id);
    expect(row).toMatchObject({ status: 'running', attempts: 3, locked_by: null });
    expect(row.last_error).toContain('database away');
    expect(await t.ctx.runner.runDue()).toBe(0);
    failurePathBroken = false;
    clock.advance(60 * 60 * 1000);
    expect(await t.ctx.runner.runDue()).toBe(1);
    expect(failures).toHaveLength(2);
    expect(failures[1]).toEqual({ n: 4, reason: 'lease expired on the final attempt' });
    row = await jobRow(id);
    expect(row).toMatchObject({
      status: 'dead',
      attempts: 3,
      locked_by: null,
      last_error: 'lease expired on the final attempt',
    });
    expect(runs).toBe(0);
    clock.advance(60 * 60 * 1000);
    expect(await t.ctx.runner.runDue()).toBe(0);
    expect(failures).toHaveLength(2);
    expect(await t.ctx.metrics.registry.metrics()).toContain('runner_jobs_dead_total{kind="test.last"} 1');
  });

  it('runs the failure path once after a failed final attempt', async () => {
    const failures: string[] = [];
    const doomed = defineJob({
      kind: 'test.doomed',
      payload: Type.Object({}),
      maxAttempts: 2,
      handle: async () => {
        throw new Error('SM-DP+ said no');
      },
      onDeadLetter: async (_payload, { reason, job }) => {
        failures.push(`${reason} after ${job.attempts}`);
      },
    });
    t.ctx.jobs.register(doomed);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, doomed, {}))!;
    for (let i = 0; i < 3; i++) {
      await t.ctx.runner.runDue();
      clock.advance(60 * 60 * 1000);
    }
    expect(failures).toEqual(['SM-DP+ said no after 2']);
    expect(await jobRow(id)).toMatchObject({ status: 'dead', attempts: 2, last_error: 'SM-DP+ said no' });
  });

  it('renews the lease of a long job while it runs, so no other runner takes it over', async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const long = defineJob({
      kind: 'test.long',
      payload: Type.Object({}),
      handle: async () => {
        runs++;
        await blocked;
      },
    });
    t.ctx.jobs.register(long);
    const id = (await t.ctx.jobs.enqueue(t.ctx.database.db, long, {}))!;
    const deps = runnerDeps(t, clock);
    const first = createRunner(deps, { pollIntervalMs: 10, concurrency: 1, leaseMs: 300, id: 'first' });
    const second = createRunner(deps, { pollIntervalMs: 10, concurrency: 1, leaseMs: 300, id: 'second' });
    const running = first.runDue();
    await expect.poll(() => runs).toBe(1);
    for (let i = 0; i < 4; i++) {
      clock.advance(200);
      await sleep(150); // a renewal tick (every 100 ms of real time) moves the lease past the clock
      expect(await second.runDue()).toBe(0);
    }
    expect((await jobRow(id)).locked_by).toBe('first');
    release();
    expect(await running).toBe(1);
    expect(await jobRow(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(runs).toBe(1);
  });

  it('never runs a job twice with two runners on separate connections', async () => {
    const executions: string[] = [];
    const counted = defineJob({
      kind: 'test.counted',
      payload: Type.Object({ i: Type.Integer() }),
      handle: async (_payload, { job }) => {
        executions.push(job.id);
        await sleep(Math.random() * 3);
      },
    });
    t.ctx.jobs.register(counted);
    const total = 150;
    await t.ctx.database.db.transaction().execute(async (tx) => {
      for (let i = 0; i < total; i++) await t.ctx.jobs.enqueue(tx, counted, { i });
    });
    // A second runner: on PostgreSQL with its own connection pool, as another process would have. SQLite
    // has one writer per process by design (a second in-process connection would block the thread), so
    // there both runners share the connection and the test proves the claim logic under interleaving.
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const other = createAppContext(
      { ...config, database: t.db.config, runner: { ...config.runner, pollIntervalMs: 5, concurrency: 5 } },
      {
        clock,
        logger: createLogger('silent'),
        database:
          dialect === 'postgres' ? openDatabase(t.db.config) : { ...t.ctx.database, close: async () => {} },
      },
    );
    other.jobs.register(counted);
    const drainBoth = await Promise.all([t.ctx.runner.drain(), other.runner.drain(), t.ctx.runner.drain()]);
    await other.database.close();

    expect(drainBoth.reduce((a, b) => a + b, 0)).toBe(total);
    expect(executions).toHaveLength(total);
    expect(new Set(executions).size).toBe(total);
    const left = await t.ctx.database.db
      .selectFrom('jobs')
      .select('id')
      .where('status', '!=', 'succeeded')
      .execute();
    expect(left).toEqual([]);
  });
});
