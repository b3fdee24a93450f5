import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { type Db, openPostgres } from '../src/db/database.js';
import { emulatorInventory } from '../src/integrations/smdp/emulator.js';
import { createLedger } from '../src/modules/wallet/ledger.js';
import { DIALECTS } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { type Answer, queuesEmpty, startLoad, subscribersWithLines } from './helpers/load.js';
import { type PgCluster, pgBinDir, startClusterForApp } from './helpers/pg-cluster.js';
import { freePort, runCli, startCliProcess, startServerProcess } from './helpers/process.js';

// Several processes on one PostgreSQL server, killed and restarted, and the server itself restarted:
// PostgreSQL only (a private cluster of the test's own). SQLite's crashes are in test/crash.test.ts.
const wanted = DIALECTS.includes('postgres');
const bin = pgBinDir();
if (wanted && !bin) {
  const reason = 'no PostgreSQL server binaries under /usr/lib/postgresql to start a private cluster';
  if (TEST_ENV.ci) throw new Error(`CI=true and ${reason}`);
  console.warn(`\n!!! SKIPPING test/chaos.test.ts: ${reason}\n`);
}

const SUBSCRIBERS = 4;
/** One process killed (SIGKILL) and restarted per round, a round every ~10 s: about a minute. */
const ROUNDS = 6;
const ROUND_MS = 10_000;
/** How long one operation may keep failing over (processes down, the database restarting) before the test gives up. */
const GIVE_UP_MS = 180_000;
/** A pause between one client's operations, leaving the two cores room to restart what is killed. */
const PACE_MS = 50;

interface Proc {
  kill(): Promise<void>;
  stop(): Promise<void>;
  child: import('node:child_process').ChildProcess;
}

/** One of the four processes: restarted in place after each kill; an exit nobody asked for is recorded. */
class Slot {
  proc: Proc | null = null;
  /** Its latest start (a restart goes on in the background while the load and the next round run). */
  started: Promise<void> = Promise.resolve();
  private killing = false;
  constructor(
    readonly name: string,
    private readonly launch: () => Promise<Proc>,
    private readonly unexpected: string[],
  ) {}
  async start() {
    const proc = await this.launch();
    proc.child.once('exit', (code, signal) => {
      if (!this.killing) this.unexpected.push(`${this.name} exited by itself (${code ?? signal})`);
    });
    this.proc = proc;
  }
  async crash() {
    this.killing = true;
    await this.proc!.kill();
    this.killing = false;
  }
  running(): boolean {
    return this.proc !== null && this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }
  async stop() {
    this.killing = true;
    if (this.running()) await this.proc!.stop();
  }
}

(wanted && bin ? describe : describe.skip)(
  'chaos: 2 API processes + 2 runners, kill -9 under load, PostgreSQL restart [postgres]',
  () => {
    let cluster: PgCluster;
    let env: Record<string, string>;
    let db: Db | null = null;
    let usageKey = '';
    const unexpected: string[] = [];
    const slots: Slot[] = [];
    const urls: string[] = [];

    beforeAll(async () => {
      ({ cluster, env } = await startClusterForApp({
        RUNNER_POLL_MS: '50',
        // A killed runner's jobs and a killed request's idempotency claim are taken over within seconds.
        RUNNER_LEASE_MS: '3000',
        IDEMPOTENCY_CLAIM_SECONDS: '5',
        // Sign-ins come from many addresses, as behind a load balancer (the per-address code limit).
        TRUST_PROXY: 'loopback',
        SMDP_TIMEOUT_MS: '3000',
        TOPUP_MAX_MINOR: '1000000',
        LOG_LEVEL: 'error',
      }));
      // Migrates the database and makes the mediation feed's key in one CLI run.
      const keys = runCli(['keys', 'add', '--name', 'chaos-mediation'], env);
      expect(keys.status, keys.output).toBe(0);
      usageKey = /^(esk_\S+)$/m.exec(keys.output)![1]!;
      const ports = [await freePort(), await freePort()];
      for (const [i, port] of ports.entries()) {
        urls.push(`http://127.0.0.1:${port}`);
        slots.push(
          new Slot(
            `api${i}`,
            () =>
              startServerProcess(
                { ...env, RUNNER_ENABLED: 'false' },
                port,
                ['start', '--no-runner'],
                undefined,
                120_000,
              ),
            unexpected,
          ),
        );
      }
      // Each runner reaches the SM-DP+ emulator (its state is in the database) through one API process.
      for (const [i, port] of ports.entries())
        slots.push(
          new Slot(
            `runner${i}`,
            async () => startCliProcess(['runner'], { ...env, PORT: String(port) }),
            unexpected,
          ),
        );
      await Promise.all(slots.map((slot) => slot.start()));
    }, 180_000);

    afterAll(async () => {
      for (const slot of slots) await slot.stop();
      await db?.destroy();
      await cluster?.destroy();
    });

    let turn = 0;
    /**
     * One request, sent again (same body, same Idempotency-Key) to either API process until it gets an
     * answer that is not a fault of the moment: a process down or killed mid-request, 5xx (the database
     * restarting), or 409 IDEMPOTENCY_IN_PROGRESS (a killed request's claim not yet taken over).
     */
    async function request(
      method: string,
      url: string,
      token: string | null,
      body?: unknown,
      key?: string,
      headers: Record<string, string> = {},
    ): Promise<Answer> {
      const started = Date.now();
      let last = '';
      for (;;) {
        const base = urls[turn++ % urls.length]!;
        try {
          const res = await fetch(`${base}${url}`, {
            method,
            headers: {
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(key ? { 'idempotency-key': key } : {}),
              ...headers,
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          const answer = { status: res.status, body: await res.json().catch(() => null) };
          const busy = answer.status === 409 && answer.body?.code === 'IDEMPOTENCY_IN_PROGRESS';
          if (answer.status < 500 && !busy) return answer;
          last = `${answer.status} ${JSON.stringify(answer.body)}`;
        } catch (error) {
          last = String(error);
        }
        if (Date.now() - started > GIVE_UP_MS) throw new Error(`${method} ${url}: no answer (${last})`);
        await sleep(100);
      }
    }

    async function ok(status: number, answer: Promise<Answer>): Promise<Answer['body']> {
      const res = await answer;
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      return res.body;
    }

    async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
      const started = Date.now();
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() - started > GIVE_UP_MS) throw new Error(`gave up waiting for ${what}`);
        await sleep(200);
      }
    }

    /** Signs in with the code the runners deliver to the dev mailbox; a lost request asks for a new code. */
    let clients = 0;
    async function signIn(email: string): Promise<string> {
      const client = ++clients;
      const from = { 'x-forwarded-for': `10.0.${client >> 8}.${client & 255}` };
      for (let attempt = 0; attempt < 5; attempt++) {
        const sent = await ok(
          202,
          request('POST', '/api/v1/auth/codes', null, { channel: 'email', to: email }, undefined, from),
        );
        const codes = await until(`a code for ${email}`, async () => {
          const inbox = await request('GET', `/api/v1/dev/messages?to=${encodeURIComponent(email)}`, null);
          const found = (inbox.body?.items ?? [])
            .map((m: { text: string }) => /\b(\d{6})\b/.exec(m.text)?.[1])
            .filter(Boolean) as string[];
          return found.length ? found : null;
        });
        const session = await request(
          'POST',
          '/api/v1/auth/sessions',
          null,
          { challengeId: sent.challengeId, code: codes[0] },
          undefined,
          from,
        );
        if (session.status === 201) return session.body.token;
      }
      throw new Error(`could not sign in ${email}`);
    }

    it('keeps every acknowledged operation exactly once, the ledger whole, every process alive and no SM-DP+ profile leaked', async () => {
      // Before the chaos: subscribers with money and an active line each (for the usage feed).
      const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `chaos${i}@example.com`);
      const tokens: string[] = [];
      for (const email of emails) tokens.push(await signIn(email));
      const { plan, accountIds, iccids } = await subscribersWithLines({
        send: request,
        ok: (status, _what, answer) => ok(status, answer),
        until,
        tokens,
        firstDevice: 700,
      });

      // Usage starts once every line is active.
      const feedFrom = Date.now();

      // The load: every subscriber tops up, transfers, buys lines and reads; a feed of usage records;
      // new subscribers signing in. Each operation is retried until acknowledged, with the same key.
      const {
        log,
        stop,
        done: load,
      } = startLoad({
        send: request,
        ok: (status, _what, answer) => ok(status, answer),
        signIn,
        emails,
        tokens,
        planId: plan.id,
        iccids,
        usageKey,
        name: 'chaos',
        paceMs: PACE_MS,
        usageFrom: feedFrom,
      });
      // Surface a failing worker at once instead of after the chaos.
      let failed: unknown = null;
      load.catch((error) => {
        failed = error;
      });

      // The chaos: a process killed with SIGKILL every ~10 s, in turn, and started again.
      const order = ['runner0', 'api1', 'runner1', 'api0'];
      for (let round = 0; round < ROUNDS && !failed; round++) {
        await sleep(ROUND_MS);
        const slot = slots.find((s) => s.name === order[round % order.length])!;
        await slot.started;
        await slot.crash();
        slot.started = slot.start();
        slot.started.catch(() => {}); // awaited (and thrown) below
      }
      for (const slot of slots) await slot.started;
      // Then the database server restarts under the same load.
      await cluster.stop('fast');
      await sleep(1000);
      await cluster.start();
      for (const url of urls)
        await until('readiness after the restart', async () => {
          const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
          return res?.status === 200;
        });
      stop();
      await load;

      // Every process is alive; none exited but those killed on purpose.
      expect(unexpected).toEqual([]);
      for (const slot of slots) expect(slot.running(), `${slot.name} is not running`).toBe(true);

      // The runners finish what was queued (recurring jobs are always queued).
      db = openPostgres(cluster.url('esimdesk'), 2).db;
      const conn = db;
      await until('the queues to empty', () => queuesEmpty(conn));

      expect(log.topups.length).toBeGreaterThan(0);
      expect(log.transfers.length).toBeGreaterThan(0);
      expect(log.lines.length).toBeGreaterThan(0);
      expect(log.usage.length).toBeGreaterThan(0);
      expect(log.sessions.length).toBeGreaterThan(0);

      // Top-ups: one payment per key, credited once when it succeeded.
      const payments = await conn
        .selectFrom('payments')
        .select(['id', 'account_id', 'status', 'amount'])
        .execute();
      const postings = await conn
        .selectFrom('ledger_postings')
        .select(['kind', 'reference_id', 'amount'])
        .execute();
      const postedFor = (kind: string, id: string) =>
        postings.filter((p) => p.kind === kind && p.reference_id === id).length;
      expect(payments.length).toBe(SUBSCRIBERS + log.topups.length);
      for (const t of log.topups) {
        const payment = payments.find((p) => p.id === t.id);
        expect(payment, `top-up ${t.key}`).toMatchObject({ account_id: accountIds[t.who], amount: t.amount });
        expect(postedFor('topup', t.id)).toBe(payment!.status === 'succeeded' ? 1 : 0);
      }
      // Transfers: each acknowledged one posted once, and no other.
      expect(postings.filter((p) => p.kind === 'transfer').length).toBe(log.transfers.length);
      for (const t of log.transfers) expect(postedFor('transfer', t.id), `transfer ${t.key}`).toBe(1);
      // Lines: one per purchase, paid once, one eSIM each, released or (failed and refunded once).
      const lines = await conn.selectFrom('lines').select(['id', 'account_id', 'status', 'price']).execute();
      const esims = await conn.selectFrom('esims').select(['line_id', 'state', 'iccid']).execute();
      expect(lines.length).toBe(SUBSCRIBERS + log.lines.length);
      for (const l of log.lines) {
        const line = lines.find((x) => x.id === l.id);
        expect(line, `line ${l.key}`).toMatchObject({ account_id: accountIds[l.who] });
        expect(postedFor('purchase', l.id)).toBe(1);
        const own = esims.filter((e) => e.line_id === l.id);
        expect(own).toHaveLength(1);
        if (line!.status === 'failed') {
          expect(own[0]!.state).toBe('failed');
          expect(postedFor('purchase_reversal', l.id)).toBe(1);
        } else {
          expect(own[0]!.state).toBe('released');
          expect(postedFor('purchase_reversal', l.id)).toBe(0);
        }
      }
      // Usage: every acknowledged record once, none charged (data within the allowance).
      const usage = await conn.selectFrom('usage_records').select(['record_id', 'charge']).execute();
      expect(usage.map((u) => u.record_id).sort()).toEqual([...log.usage].sort());
      expect(usage.filter((u) => Number(u.charge) !== 0)).toEqual([]);
      // Balances: what the acknowledged operations add up to.
      for (const [who, token] of tokens.entries()) {
        let expected = 1_000_000 - Number(plan.price.amount);
        for (const t of log.topups.filter((x) => x.who === who))
          if (payments.find((p) => p.id === t.id)!.status === 'succeeded') expected += t.amount;
        for (const t of log.transfers) {
          if (t.from === who) expected -= t.amount;
          if (t.to === who) expected += t.amount;
        }
        for (const l of log.lines.filter((x) => x.who === who)) {
          const line = lines.find((x) => x.id === l.id)!;
          if (line.status !== 'failed') expected -= Number(line.price);
        }
        expect((await ok(200, request('GET', '/api/v1/me/balance', token))).amount, emails[who]).toBe(
          expected,
        );
      }
      // The same key again gets the same answer.
      for (const t of log.topups.slice(0, 20))
        expect(
          (await ok(201, request('POST', '/api/v1/me/topups', tokens[t.who]!, { amount: t.amount }, t.key)))
            .id,
        ).toBe(t.id);
      for (const t of log.transfers.slice(0, 20))
        expect(
          (
            await ok(
              201,
              request(
                'POST',
                '/api/v1/me/transfers',
                tokens[t.from]!,
                { to: emails[t.to], amount: t.amount },
                t.key,
              ),
            )
          ).id,
        ).toBe(t.id);
      // Every newcomer signed in has a working session.
      for (const s of log.sessions)
        expect((await ok(200, request('GET', '/api/v1/me', s.token))).email).toBe(s.email);
      expect(await createLedger({ clock: systemClock }).verify(conn)).toEqual([]);

      // The SM-DP+: no profile reserved for an order that is over; every profile in use is one live
      // eSIM's, and every failed order's profile is back in the inventory.
      const inventory = await emulatorInventory(conn);
      expect(inventory.reserved, JSON.stringify(inventory)).toBe(0);
      const profiles = await conn.selectFrom('emu_profiles').select(['iccid', 'state']).execute();
      const inUse = profiles
        .filter((p) => p.state !== 'available')
        .map((p) => p.iccid)
        .sort();
      const live = esims
        .filter((e) => e.state !== 'failed')
        .map((e) => e.iccid!)
        .sort();
      expect(inUse).toEqual(live);
      expect(new Set(live).size).toBe(live.length);
    }, 600_000);
  },
);
