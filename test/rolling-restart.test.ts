import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../src/db/database.js';
import { DIALECTS } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { type Haproxy, haproxyInstalled, startHaproxy } from './helpers/haproxy.js';
import { type Answer, queuesEmpty, startLoad, subscribersWithLines } from './helpers/load.js';
import { type PgCluster, pgBinDir, startClusterForApp } from './helpers/pg-cluster.js';
import {
  freePort,
  runCli,
  type ServerProcess,
  startCliProcess,
  startServerProcess,
} from './helpers/process.js';

// Three API processes behind HAProxy and two runners on one PostgreSQL (a private cluster), every
// one of them restarted in turn (SIGTERM, wait for the exit, start again, wait until HAProxy has it
// back) under a mixed load sent through HAProxy. No client retries: every request is sent once.
const wanted = DIALECTS.includes('postgres');
const missing = !pgBinDir()
  ? 'no PostgreSQL server binaries under /usr/lib/postgresql to start a private cluster'
  : !haproxyInstalled()
    ? 'no /usr/sbin/haproxy (apt-get install haproxy)'
    : null;
if (wanted && missing) {
  if (TEST_ENV.ci) throw new Error(`CI=true and ${missing}`);
  console.warn(`\n!!! SKIPPING test/rolling-restart.test.ts: ${missing}\n`);
}

const SUBSCRIBERS = 4;
/** A pause between one client's operations: a bounded load that leaves the two cores room to restart. */
const PACE_MS = 40;
/** Acknowledged operations to see between two restarts, so that each restart happens under load. */
const OPS_BETWEEN = 12;

(wanted && !missing ? describe : describe.skip)(
  'rolling restart behind HAProxy: 3 API processes + 2 runners, SIGTERM one at a time [postgres]',
  () => {
    let cluster: PgCluster;
    let env: Record<string, string>;
    let haproxy: Haproxy;
    let db: Db | null = null;
    const apiPorts: number[] = [];
    const apis: ServerProcess[] = [];
    const runners: ReturnType<typeof startCliProcess>[] = [];

    const startApi = (i: number) =>
      startServerProcess(
        { ...env, RUNNER_ENABLED: 'false' },
        apiPorts[i]!,
        ['start', '--no-runner'],
        undefined,
        120_000,
      );
    // The runners reach the SM-DP+ emulator and the dev mailbox's API through the balancer.
    const startRunner = () => startCliProcess(['runner'], { ...env, PORT: String(haproxy.port) });

    beforeAll(async () => {
      ({ cluster, env } = await startClusterForApp({
        DATABASE_POOL_SIZE: '6',
        RUNNER_POLL_MS: '50',
        // Long: a job left behind by a stopping runner would wait this long. Handed back, it does not.
        RUNNER_LEASE_MS: '600000',
        // Longer than HAProxy's health-check interval (250 ms) × fall (1), with room to spare.
        SHUTDOWN_DRAIN_MS: '1500',
        SHUTDOWN_GRACE_MS: '20000',
        // The balancer is on the loopback: X-Forwarded-For from it is believed (sign-in limits per address).
        TRUST_PROXY: 'loopback',
        TOPUP_MAX_MINOR: '1000000',
        LOG_LEVEL: 'error',
      }));
      const migrated = runCli(['migrate'], env);
      expect(migrated.status, migrated.output).toBe(0);
      for (let i = 0; i < 3; i++) apiPorts.push(await freePort());
      for (let i = 0; i < 3; i++) apis.push(await startApi(i));
      haproxy = await startHaproxy({ servers: apiPorts.map((port, i) => ({ name: `api${i}`, port })) });
      for (let i = 0; i < 3; i++) await haproxy.waitFor(`api${i}`, 'UP');
      for (let i = 0; i < 2; i++) runners.push(startRunner());
    }, 120_000);

    afterAll(async () => {
      for (const p of [...apis, ...runners]) if (p.child.exitCode === null) await p.stop();
      await haproxy?.stop();
      await db?.destroy();
      await cluster?.destroy();
    });

    /** One request through HAProxy, sent once. */
    async function request(
      method: string,
      url: string,
      token: string | null,
      body?: unknown,
      key?: string,
      headers: Record<string, string> = {},
    ): Promise<Answer> {
      const res = await fetch(`${haproxy.url}${url}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(key ? { 'idempotency-key': key } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    }

    /** Every answer that is not the expected one, with what was asked (asserted empty at the end). */
    const failures: string[] = [];
    async function ok(status: number, what: string, answer: Promise<Answer>): Promise<Answer['body'] | null> {
      try {
        const res = await answer;
        if (res.status === status) return res.body;
        failures.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      } catch (error) {
        failures.push(`${what}: ${String(error)}`);
      }
      return null;
    }

    async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
      for (let i = 0; i < 600; i++) {
        const value = await probe();
        if (value) return value;
        await sleep(100);
      }
      throw new Error(`gave up waiting for ${what}`);
    }

    let clients = 0;
    async function signIn(email: string): Promise<string | null> {
      const client = ++clients;
      const from = { 'x-forwarded-for': `10.1.${client >> 8}.${client & 255}` };
      const sent = await ok(
        202,
        `code for ${email}`,
        request('POST', '/api/v1/auth/codes', null, { channel: 'email', to: email }, undefined, from),
      );
      if (!sent) return null;
      const code = await until(`a code for ${email}`, async () => {
        const inbox = await ok(
          200,
          'dev mailbox',
          request('GET', `/api/v1/dev/messages?to=${encodeURIComponent(email)}`, null),
        );
        return (inbox?.items ?? [])
          .map((m: { text: string }) => /\b(\d{6})\b/.exec(m.text)?.[1])
          .find(Boolean) as string | undefined;
      });
      const session = await ok(
        201,
        `session for ${email}`,
        request(
          'POST',
          '/api/v1/auth/sessions',
          null,
          { challengeId: sent.challengeId, code },
          undefined,
          from,
        ),
      );
      return session?.token ?? null;
    }

    it('fails no request and loses or doubles nothing while every process restarts in turn', async () => {
      const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `rolling${i}@example.com`);
      const tokens: string[] = [];
      for (const email of emails) tokens.push((await signIn(email))!);
      expect(failures).toEqual([]);
      const { plan, accountIds, iccids } = await subscribersWithLines({
        send: request,
        ok,
        until,
        tokens,
        firstDevice: 800,
      });
      const usageKey = /^(esk_\S+)$/m.exec(
        runCli(['keys', 'add', '--name', 'rolling-mediation'], env).output,
      )?.[1];
      expect(usageKey).toBeTruthy();
      expect(failures).toEqual([]);

      // The load: top-ups, transfers, purchases and balance reads per subscriber; a usage feed; new
      // subscribers signing in. Only acknowledged operations are logged.
      const {
        log,
        stop,
        done: load,
      } = startLoad({
        send: request,
        ok,
        signIn,
        emails,
        tokens,
        planId: plan.id,
        iccids,
        usageKey: usageKey!,
        name: 'rolling',
        paceMs: PACE_MS,
      });
      const acknowledged = () =>
        log.topups.length +
        log.transfers.length +
        log.lines.length +
        log.usage.length / 5 +
        log.sessions.length;
      const underLoad = async () => {
        const from = acknowledged();
        await until('operations acknowledged under load', async () => acknowledged() >= from + OPS_BETWEEN);
      };

      // The rolling restart: each API process, then each runner, one at a time.
      const exits: string[] = [];
      for (let i = 0; i < apis.length; i++) {
        await underLoad();
        const name = `api${i}`;
        // While it drains, /readyz answers 503 and HAProxy takes it out before it stops listening.
        await Promise.all([haproxy.waitFor(name, 'DOWN'), apis[i]!.stop()]);
        exits.push(`${name}: ${apis[i]!.child.exitCode}`);
        apis[i] = await startApi(i);
        await haproxy.waitFor(name, 'UP');
      }
      for (let i = 0; i < runners.length; i++) {
        await underLoad();
        await runners[i]!.stop();
        exits.push(`runner${i}: ${runners[i]!.child.exitCode}`);
        runners[i] = startRunner();
      }
      await underLoad();
      stop();
      await load;

      // 1. No request failed, and every process stopped cleanly (exit status 0).
      expect(failures).toEqual([]);
      expect(exits).toEqual(['api0: 0', 'api1: 0', 'api2: 0', 'runner0: 0', 'runner1: 0']);

      // The runners finish what was queued (recurring jobs are always queued).
      db = openPostgres(cluster.url('esimdesk'), 2).db;
      const conn = db;
      await until('the queues to empty', () => queuesEmpty(conn));
      expect(log.topups.length).toBeGreaterThan(0);
      expect(log.transfers.length).toBeGreaterThan(0);
      expect(log.lines.length).toBeGreaterThan(0);
      expect(log.usage.length).toBeGreaterThan(0);
      expect(log.sessions.length).toBeGreaterThan(0);

      // 2. Every acknowledged write is there once, and nothing else is.
      const payments = await conn
        .selectFrom('payments')
        .select(['id', 'account_id', 'status', 'amount'])
        .execute();
      const postings = await conn.selectFrom('ledger_postings').select(['kind', 'reference_id']).execute();
      const postedFor = (kind: string, id: string) =>
        postings.filter((p) => p.kind === kind && p.reference_id === id).length;
      expect(payments.length).toBe(SUBSCRIBERS + log.topups.length);
      for (const t of log.topups) {
        expect(payments.find((p) => p.id === t.id)).toMatchObject({
          account_id: accountIds[t.who],
          amount: t.amount,
          status: 'succeeded',
        });
        expect(postedFor('topup', t.id)).toBe(1);
      }
      expect(postings.filter((p) => p.kind === 'transfer').length).toBe(log.transfers.length);
      for (const t of log.transfers) expect(postedFor('transfer', t.id), `transfer ${t.id}`).toBe(1);
      const lines = await conn.selectFrom('lines').select(['id', 'account_id', 'status']).execute();
      const esims = await conn.selectFrom('esims').select(['line_id', 'state']).execute();
      expect(lines.length).toBe(SUBSCRIBERS + log.lines.length);
      for (const l of log.lines) {
        expect(lines.find((x) => x.id === l.id)).toMatchObject({ account_id: accountIds[l.who] });
        expect(postedFor('purchase', l.id)).toBe(1);
        // The eSIM order was placed once and went through, restarts or not.
        expect(esims.filter((e) => e.line_id === l.id).map((e) => e.state)).toEqual(['released']);
      }
      const usage = await conn.selectFrom('usage_records').select('record_id').execute();
      expect(usage.map((u) => u.record_id).sort()).toEqual([...log.usage].sort());
      for (const s of log.sessions)
        expect((await ok(200, 'me', request('GET', '/api/v1/me', s.token)))?.email).toBe(s.email);

      // 3. Every notification delivered once.
      const messages = await conn.selectFrom('messages').select(['id', 'status']).execute();
      expect(messages.filter((m) => m.status !== 'sent')).toEqual([]);
      const delivered = await conn.selectFrom('dev_mailbox').select('message_id').execute();
      expect(delivered.map((d) => d.message_id).sort()).toEqual(messages.map((m) => m.id).sort());

      // 4. The books balance, as the operator's own command says.
      const verify = runCli(['ledger', 'verify'], env);
      expect(verify.status, verify.output).toBe(0);
      expect(failures).toEqual([]);
    }, 400_000);
  },
);
