import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, openPostgres } from '../src/db/database.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import { type PgCluster, startPgCluster } from './helpers/pg-cluster.js';
import {
  callServer,
  freePort,
  runCli,
  type ServerProcess,
  signInToServer,
  startServerProcess,
} from './helpers/process.js';

type Op =
  | { kind: 'topup'; who: number; amount: number }
  | { kind: 'transfer'; who: number; to: number; amount: number }
  | { kind: 'purchase'; who: number; planId: string; price: number };
interface Attempt {
  op: Op;
  key: string;
  /** The answer, when one arrived (acknowledged); undefined when the connection died first. */
  status?: number;
  body?: { id?: string; code?: string };
}

const PEOPLE = 4;

describeEachDialect('crash safety: SIGKILL under load, then restart', (dialect) => {
  let db: Pick<TestDatabase, 'database' | 'drop'>;
  let databaseUrl: string;
  // PostgreSQL runs privately here, so that it can be restarted under the server (the last round).
  let cluster: PgCluster | null = null;
  let env: Record<string, string>;
  let port: number;
  let server: ServerProcess | null = null;
  const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-crash-'));
  beforeAll(async () => {
    if (dialect === 'postgres') {
      const pg = await startPgCluster();
      cluster = pg;
      await pg.query('create database esimdesk');
      databaseUrl = pg.url('esimdesk');
      const database: Database = openPostgres(databaseUrl, 4);
      db = { database, drop: () => database.close() };
    } else {
      const file = await createTestDatabase(dialect);
      db = file;
      databaseUrl = file.config.dialect === 'sqlite' ? file.config.path : '';
    }
    port = await freePort();
    env = {
      DATABASE_URL: databaseUrl,
      ESIMDESK_MODE: 'demo',
      CURRENCY: 'CNY',
      EXPORT_DIR: exportDir,
      RUNNER_POLL_MS: '20',
      RATE_LIMIT_PER_MINUTE: '1000000',
      TOPUP_DAILY_MAX_MINOR: '1000000000',
      IDEMPOTENCY_CLAIM_SECONDS: '1',
      // A job the killed process was running is taken over once its lease runs out.
      RUNNER_LEASE_MS: '1500',
    };
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await cluster?.destroy();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  const call = (method: string, url: string, token: string | null, body?: unknown, key?: string) =>
    callServer(server!.url, method, url, token, body, key);
  const signIn = (email: string) => signInToServer(call, email);

  const request = (op: Op, tokens: string[], emails: string[], key: string) =>
    op.kind === 'topup'
      ? call('POST', '/api/v1/me/topups', tokens[op.who]!, { amount: op.amount }, key)
      : op.kind === 'transfer'
        ? call('POST', '/api/v1/me/transfers', tokens[op.who]!, { to: emails[op.to], amount: op.amount }, key)
        : call('POST', '/api/v1/me/lines', tokens[op.who]!, { planId: op.planId }, key);

  it('keeps every acknowledged write, half-applies nothing, balances the books and delivers each message once', async () => {
    server = await startServerProcess(env, port);
    const emails = Array.from({ length: PEOPLE }, (_, i) => `crash${i}.${dialect}@example.com`);
    const tokens: string[] = [];
    for (const email of emails) tokens.push(await signIn(email));
    const plans = (await call('GET', '/api/v1/plans', null)).body.items as {
      id: string;
      price: { amount: number };
    }[];
    const plan = [...plans].sort((a, b) => a.price.amount - b.price.amount)[0]!;

    const attempts: Attempt[] = [];
    const random = (n: number) => Math.floor(Math.random() * n);
    const nextOp = (who: number): Op => {
      const r = random(10);
      if (r < 4) return { kind: 'topup', who, amount: 100 + random(5000) };
      if (r < 8)
        return {
          kind: 'transfer',
          who,
          to: (who + 1 + random(PEOPLE - 1)) % PEOPLE,
          amount: 1 + random(300),
        };
      return { kind: 'purchase', who, planId: plan.id, price: plan.price.amount };
    };
    // Start everyone with money, acknowledged before the storm.
    for (let who = 0; who < PEOPLE; who++) {
      const op: Op = { kind: 'topup', who, amount: 20_000 };
      const key = randomUUID();
      const res = await request(op, tokens, emails, key);
      expect(res.status).toBe(201);
      attempts.push({ op, key, ...res });
    }

    /** Every subscriber writes as fast as it can until `fault` has done its work. */
    const storm = async (fault: () => Promise<void>) => {
      let done = false;
      const loops = Array.from({ length: PEOPLE }, async (_, who) => {
        while (!done) {
          const op = nextOp(who);
          const attempt: Attempt = { op, key: randomUUID() };
          attempts.push(attempt);
          try {
            Object.assign(attempt, await request(op, tokens, emails, attempt.key));
          } catch {
            return; // the connection died with the server: this one was never acknowledged
          }
          if (attempt.status === 503) await sleep(50); // as a client honouring Retry-After would, briefly
        }
      });
      await fault();
      done = true;
      await Promise.all(loops);
    };

    // The server is killed at a random moment once it has acknowledged a fair number of writes.
    const answered = () => attempts.filter((a) => a.status !== undefined).length;
    await storm(async () => {
      for (let i = 0; i < 600 && answered() <= PEOPLE + 10; i++) await sleep(50);
      await sleep(random(1000));
      await server!.kill();
    });
    expect(answered()).toBeGreaterThan(PEOPLE + 10);
    server = await startServerProcess(env, port);

    if (cluster) {
      // PostgreSQL restarts under the running server (and its runner): requests in flight answer 503
      // DATABASE_UNAVAILABLE, and the same process serves again once the database is back.
      const before = attempts.length;
      const pg = cluster;
      await storm(async () => {
        await sleep(300 + random(500));
        await pg.stop('fast');
        await sleep(500);
        await pg.start();
        // Until writes are acknowledged again.
        const back = attempts.length;
        for (let i = 0; i < 100 && !attempts.slice(back).some((a) => a.status === 201); i++) await sleep(100);
        await sleep(300);
      });
      expect(server.child.exitCode, 'the server survived the PostgreSQL restart').toBeNull();
      const unavailable = attempts.slice(before).filter((a) => a.status === 503);
      // Each in the error shape; the database's own code at least for those that reached it.
      for (const a of unavailable) {
        expect(a.body).toEqual({
          code: expect.any(String),
          message: expect.any(String),
          details: expect.any(Object),
        });
      }
      expect(unavailable.map((a) => a.body?.code)).toContain('DATABASE_UNAVAILABLE');
    }
    // Answered 503: not acknowledged, as if the connection had died.
    const acknowledged = attempts.filter((a) => a.status !== undefined && a.status !== 503);
    const lost = attempts.filter((a) => a.status === undefined || a.status === 503);
    const conn = db.database.db;

    // 1. Every acknowledged write is there.
    for (const a of acknowledged.filter((x) => x.status === 201)) {
      const id = a.body!.id!;
      if (a.op.kind === 'topup') {
        const payment = await conn
          .selectFrom('payments')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirst();
        expect(payment?.status, `top-up ${id}`).toBe('succeeded');
      } else if (a.op.kind === 'transfer') {
        const posting = await conn
          .selectFrom('ledger_postings')
          .select('id')
          .where('reference_id', '=', id)
          .executeTakeFirst();
        expect(posting, `transfer ${id}`).toBeDefined();
      } else {
        const line = await conn.selectFrom('lines').select('id').where('id', '=', id).executeTakeFirst();
        expect(line, `line ${id}`).toBeDefined();
      }
    }

    // 2. Every unacknowledged request, sent again with its key, is applied exactly once in total.
    for (const a of lost) {
      // The first attempt's claim on the key may not have run out yet (IDEMPOTENCY_CLAIM_SECONDS).
      for (let i = 0; i < 50; i++) {
        Object.assign(a, await request(a.op, tokens, emails, a.key));
        if (a.body?.code !== 'IDEMPOTENCY_IN_PROGRESS') break;
        await sleep(100);
      }
    }
    // Let the background work the crash interrupted finish (eSIM orders, deliveries).
    let busy = 1;
    for (let i = 0; i < 300 && busy > 0; i++) {
      const row = await conn
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['queued', 'running'])
        .where('run_at', '<=', new Date(Date.now() + 60_000).toISOString())
        .executeTakeFirstOrThrow();
      busy = Number(row.n);
      if (busy > 0) await sleep(100);
    }
    expect(busy).toBe(0);
    // No eSIM order was lost or failed because of the crash.
    const failedLines = await conn.selectFrom('lines').select('id').where('status', '=', 'failed').execute();
    expect(failedLines).toEqual([]);
    const balances = Array.from({ length: PEOPLE }, () => 0);
    for (const a of attempts) {
      expect(a.status, JSON.stringify(a)).toBeLessThan(500);
      if (a.status !== 201) {
        expect(['INSUFFICIENT_BALANCE', 'TOPUP_LIMIT_EXCEEDED']).toContain(a.body?.code);
        continue;
      }
      if (a.op.kind === 'topup') balances[a.op.who]! += a.op.amount;
      if (a.op.kind === 'transfer') {
        balances[a.op.who]! -= a.op.amount;
        balances[a.op.to]! += a.op.amount;
      }
      if (a.op.kind === 'purchase') balances[a.op.who]! -= a.op.price;
    }
    for (let who = 0; who < PEOPLE; who++) {
      const balance = await call('GET', '/api/v1/me/balance', tokens[who]!);
      expect(balance.body.amount, `balance of ${emails[who]}`).toBe(balances[who]);
    }
    const payments = await conn
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(payments.n)).toBe(attempts.filter((a) => a.op.kind === 'topup' && a.status === 201).length);

    // 3. The books balance, as the operator's own command says.
    const verify = runCli(['ledger', 'verify'], { DATABASE_URL: env.DATABASE_URL! });
    expect(verify.status, verify.output).toBe(0);
    expect(server.child.exitCode, 'the server is still running').toBeNull();

    // 4. The outbox delivers every message, each exactly once.
    let pending = 1;
    for (let i = 0; i < 200 && pending > 0; i++) {
      const row = await conn
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '!=', 'sent')
        .executeTakeFirstOrThrow();
      pending = Number(row.n);
      if (pending > 0) await sleep(100);
    }
    expect(pending).toBe(0);
    const sent = await conn.selectFrom('messages').select('id').execute();
    const delivered = await conn.selectFrom('dev_mailbox').select('message_id').execute();
    expect(delivered.map((d) => d.message_id).sort()).toEqual(sent.map((m) => m.id).sort());
  }, 120_000);
});
