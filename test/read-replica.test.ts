import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { type PgCluster, pgBinDir, startPgCluster, startPgReplica } from './helpers/pg-cluster.js';
import {
  callServer,
  freePort,
  runCli,
  type ServerProcess,
  signInToServer,
  startServerProcess,
} from './helpers/process.js';

// A private PostgreSQL primary and a real streaming replica made from it with pg_basebackup -R,
// on ports of their own; an API process with DATABASE_URL on the primary and DATABASE_READ_URL on
// the replica. PostgreSQL only: SQLite has no replicas.
const wanted = DIALECTS.includes('postgres');
const bin = pgBinDir();
if (wanted && !bin) {
  const reason = 'no PostgreSQL server binaries under /usr/lib/postgresql to start a primary and replica';
  if (TEST_ENV.ci) throw new Error(`CI=true and ${reason}`);
  console.warn(`\n!!! SKIPPING test/read-replica.test.ts: ${reason}\n`);
}

(wanted && bin ? describe : describe.skip)('read replicas: DATABASE_READ_URL [postgres]', () => {
  let primary: PgCluster;
  let replica: PgCluster;
  let server: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    primary = await startPgCluster();
    await primary.query('create database esimdesk');
    env = {
      DATABASE_URL: primary.url('esimdesk'),
      ESIMDESK_MODE: 'demo',
      CURRENCY: 'CNY',
      RUNNER_POLL_MS: '20',
      SESSION_CACHE_MS: '0',
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'error',
    };
    const migrated = runCli(['migrate'], env);
    expect(migrated.status, migrated.output).toBe(0);
    replica = await startPgReplica(primary);
    server = await startServerProcess(
      { ...env, DATABASE_READ_URL: replica.url('esimdesk') },
      await freePort(),
      ['start'],
      undefined,
      120_000,
    );
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await replica?.destroy();
    await primary?.destroy();
  });

  const call = (method: string, url: string, token: string | null, body?: unknown, key?: string) =>
    callServer(server.url, method, url, token, body, key);
  const search = async (token: string, q: string) => {
    const res = await call('GET', `/api/v1/staff/accounts?q=${encodeURIComponent(q)}`, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as Array<{ email: string }>).map((i) => i.email);
  };

  it('sends staff searches to the replica, keeps money on the primary, and falls back when the replica is down', async () => {
    // The replica is a standby: it refuses writes.
    await expect(replica.query('create table nope (id int)', 'esimdesk')).rejects.toThrow(/read-only/);
    const added = runCli(['staff', 'add', '--email', 'agent@operator.example.com', '--role', 'agent'], env);
    expect(added.status, added.output).toBe(0);
    const agent = await signInToServer(call, 'agent@operator.example.com');
    const alice = await signInToServer(call, 'alice@example.com');
    expect((await call('POST', '/api/v1/me/topups', alice, { amount: 1000 }, 'replica-topup-1')).status).toBe(
      201,
    );
    // The replica catches up: the search finds Alice there.
    await expect
      .poll(() => search(agent, 'alice@example.com'), { timeout: 30_000 })
      .toEqual(['alice@example.com']);
    // The API process reads through its own connections to the replica.
    const readers = await replica.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name = 'esimdesk-read'",
    );
    expect(readers[0]!.n).toBeGreaterThan(0);
    expect((await call('GET', '/api/v1/staff/reports/service-levels', agent)).status).toBe(200);
    expect((await call('GET', '/api/v1/me/usage', alice)).body).toEqual({ items: [], nextCursor: null });

    // Hold the replica behind the primary.
    await replica.pauseReplay('esimdesk');
    const bob = await signInToServer(call, 'bob@example.com');
    expect(bob).toBeTruthy();
    // Bob exists on the primary only: the search, read on the replica, does not find him yet.
    expect(await search(agent, 'bob@example.com')).toEqual([]);
    // Money is never read behind: Alice's top-up and balance are current while the replica lags.
    const topup = await call('POST', '/api/v1/me/topups', alice, { amount: 500 }, 'replica-topup-2');
    expect(topup.status).toBe(201);
    expect((await call('GET', '/api/v1/me/balance', alice)).body.amount).toBe(1500);
    const statement = await call('GET', '/api/v1/me/ledger', alice);
    expect(statement.status).toBe(200);
    expect((statement.body.items as Array<{ amount: { amount: number } | number }>).length).toBe(2);
    // A page of settled history (ending two minutes ago) is read on the replica, lagging or not.
    const settled = `/api/v1/me/ledger?to=${encodeURIComponent(new Date(Date.now() - 120_000).toISOString())}`;
    expect(await call('GET', settled, alice)).toMatchObject({ status: 200, body: { items: [] } });
    // Resumed, the replica catches up and the search finds Bob.
    await replica.resumeReplay('esimdesk');
    await expect
      .poll(() => search(agent, 'bob@example.com'), { timeout: 30_000 })
      .toEqual(['bob@example.com']);

    // The replica goes down: searches fall back to the primary and keep answering.
    await replica.stop('fast');
    const carol = await signInToServer(call, 'carol@example.com');
    expect(carol).toBeTruthy();
    expect(await search(agent, 'carol@example.com')).toEqual(['carol@example.com']);
    expect(await search(agent, 'alice@example.com')).toEqual(['alice@example.com']);
    expect((await call('GET', '/api/v1/me/balance', alice)).body.amount).toBe(1500);
    expect(await call('GET', settled, alice)).toMatchObject({ status: 200, body: { items: [] } });
    // The staff dashboard too (its figures are read on a replica when one answers).
    const levels = await call('GET', '/api/v1/staff/reports/service-levels', agent);
    expect(levels.status, JSON.stringify(levels.body)).toBe(200);
    expect((await call('GET', '/api/v1/me/usage', alice)).body).toEqual({ items: [], nextCursor: null });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  }, 180_000);
});
