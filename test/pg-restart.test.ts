import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { type PgCluster, pgBinDir, startClusterForApp } from './helpers/pg-cluster.js';
import {
  callServer,
  freePort,
  runCli,
  type ServerProcess,
  signInToServer,
  startCliProcess,
  startServerProcess,
} from './helpers/process.js';

// A server restart and killed backends need a PostgreSQL of the test's own (the shared one serves
// every other test file); SQLite has no connection to lose (its faults are in test/db-faults.test.ts).
const wanted = DIALECTS.includes('postgres');
const bin = pgBinDir();
if (wanted && !bin) {
  const reason = 'no PostgreSQL server binaries under /usr/lib/postgresql to start a private cluster';
  if (TEST_ENV.ci) throw new Error(`CI=true and ${reason}`);
  console.warn(`\n!!! SKIPPING test/pg-restart.test.ts: ${reason}\n`);
}

type Answer = Awaited<ReturnType<typeof callServer>>;

/** 503 in the error shape: a request whose own database work failed says DATABASE_UNAVAILABLE; one
 * that had committed when a later step failed (a top-up's settlement) may name that step instead. */
function expectServiceUnavailable(res: Answer) {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.body).toEqual({
    code: expect.any(String),
    message: expect.any(String),
    details: expect.any(Object),
  });
}

function expectUnavailable(res: Answer) {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.body).toEqual({ code: 'DATABASE_UNAVAILABLE', message: expect.any(String), details: {} });
}

(wanted && bin ? describe : describe.skip)('PostgreSQL connection loss and restart [postgres]', () => {
  let cluster: PgCluster;
  let server: ServerProcess;
  let runner: ReturnType<typeof startCliProcess>;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ cluster, env } = await startClusterForApp({ RUNNER_POLL_MS: '20' }));
    server = await startServerProcess(env, await freePort(), ['start', '--migrate', '--no-runner']);
    runner = startCliProcess(['runner'], env);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await runner?.stop();
    await cluster?.destroy();
  });

  const call = (method: string, url: string, token: string | null, body?: unknown, key?: string) =>
    callServer(server.url, method, url, token, body, key);
  const topUp = (token: string, amount: number, key = randomUUID()) =>
    call('POST', '/api/v1/me/topups', token, { amount }, key);
  const alive = () => {
    expect(server.child.exitCode, 'the API process exited').toBeNull();
    expect(runner.running(), 'the runner process exited').toBe(true);
  };
  const terminateBackends = () =>
    cluster.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'esimdesk' and application_name = 'esimdesk'",
    );

  it('survives killed backends under load: requests in flight fail with 503, the next ones succeed', async () => {
    const tokens = await Promise.all([0, 1, 2].map((i) => signInToServer(call, `pgloss${i}@example.com`)));

    // One request certainly in flight when its backend dies: a balance read waiting on a lock held here.
    const admin = new pg.Client({
      connectionString: cluster.url('esimdesk'),
      application_name: 'test-admin',
    });
    await admin.connect();
    await admin.query('begin');
    await admin.query('lock table ledger_accounts in access exclusive mode');
    const blocked = call('GET', '/api/v1/me/balance', tokens[0]!);
    let waiting = 0;
    for (let i = 0; i < 100 && waiting === 0; i++) {
      const rows = await admin.query(
        "select count(*)::int as n from pg_stat_activity where datname = 'esimdesk' and wait_event_type = 'Lock'",
      );
      waiting = rows.rows[0].n;
      if (waiting === 0) await sleep(50);
    }
    expect(waiting).toBeGreaterThan(0);
    await terminateBackends();
    expectUnavailable(await blocked);
    await admin.end();

    // Under load: every subscriber tops up as fast as it can while the backends are killed again and again.
    let stop = false;
    const answers: Answer[] = [];
    const load = tokens.map(async (token) => {
      while (!stop) answers.push(await topUp(token, 10));
    });
    for (let round = 0; round < 5; round++) {
      await sleep(200);
      await terminateBackends();
    }
    stop = true;
    await Promise.all(load);
    alive();
    expect(answers.length).toBeGreaterThan(0);
    for (const res of answers) {
      if (res.status !== 201) expectServiceUnavailable(res);
    }
    // The pool has replaced its connections: the next requests succeed.
    for (const token of tokens) expect((await topUp(token, 10)).status).toBe(201);
  }, 120_000);

  it('reports not ready while the server is down and ready again once it is back, with no restart of its own', async () => {
    const token = await signInToServer(call, 'pgrestart@example.com');
    expect((await call('GET', '/readyz', null)).status).toBe(200);

    await cluster.stop('fast');
    const down = await call('GET', '/readyz', null);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not_ready', database: 'down', writable: false });
    expect(down.body.reason).toMatch(/database unreachable/);
    expectUnavailable(await topUp(token, 100));
    expectUnavailable(await call('GET', '/api/v1/me/balance', token));
    // The runner keeps polling a database that is not there.
    await sleep(500);
    alive();

    await cluster.start();
    let ready = await call('GET', '/readyz', null);
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await sleep(100);
      ready = await call('GET', '/readyz', null);
    }
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    expect((await topUp(token, 100)).status).toBe(201);
    // The runner serves again: a new subscriber's sign-in code is delivered through it.
    await signInToServer(call, 'pgrestart.after@example.com');
    alive();

    const verify = runCli(['ledger', 'verify'], { DATABASE_URL: env.DATABASE_URL! });
    expect(verify.status, verify.output).toBe(0);
  }, 120_000);
});
