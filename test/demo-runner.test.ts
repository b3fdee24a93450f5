import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import {
  callServer,
  freePort,
  type ServerProcess,
  signInToServer,
  startCliProcess,
  startServerProcess,
} from './helpers/process.js';

// docs/operations.md, "Demo mode: how the runner reaches the built-in SM-DP+ emulator": a runner that
// cannot reach the API at 127.0.0.1:$PORT is pointed at an API process's emulator with SMDP_URL.
describeEachDialect('demo mode: a runner of its own reaches the emulator through SMDP_URL', (dialect) => {
  let db: TestDatabase;
  let server: ServerProcess;
  let runner: ReturnType<typeof startCliProcess>;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    const env = {
      DATABASE_URL: db.config.dialect === 'sqlite' ? db.config.path : db.config.url,
      ESIMDESK_MODE: 'demo',
      CURRENCY: 'CNY',
      RUNNER_POLL_MS: '20',
    };
    server = await startServerProcess(env, await freePort(), ['start', '--no-runner']);
    // Its own PORT is one nobody listens on: 127.0.0.1:$PORT would not reach the emulator.
    runner = startCliProcess(['runner'], {
      ...env,
      PORT: String(await freePort()),
      SMDP_URL: `${server.url}/emulator/smdp`,
      SMDP_CALLER_ID: 'esimdesk-smdp-emulator',
    });
  }, 120_000);
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
    await db?.drop();
  });

  it('places the eSIM order of a purchase with the API process emulator', async () => {
    const call = (method: string, url: string, token: string | null, body?: unknown, key?: string) =>
      callServer(server.url, method, url, token, body, key);
    const token = await signInToServer(call, `demo-runner.${dialect}@example.com`);
    expect((await call('POST', '/api/v1/me/topups', token, { amount: 100_000 }, randomUUID())).status).toBe(
      201,
    );
    const plans = (await call('GET', '/api/v1/plans', null)).body.items as { id: string }[];
    const bought = await call('POST', '/api/v1/me/lines', token, { planId: plans[0]!.id }, randomUUID());
    expect(bought.status).toBe(201);
    let line = (await call('GET', `/api/v1/me/lines/${bought.body.id}`, token)).body;
    for (let i = 0; i < 900 && line.esim?.state !== 'released'; i++) {
      await sleep(100);
      line = (await call('GET', `/api/v1/me/lines/${bought.body.id}`, token)).body;
    }
    expect(line).toMatchObject({ status: 'pending', esim: { state: 'released' } });
    expect(line.esim.activationCode).toMatch(/^LPA:1\$/);
    expect(runner.running()).toBe(true);
  }, 180_000);
});
