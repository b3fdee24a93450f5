import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
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
  let db: TestDatabase;
  let env: Record<string, string>;
  let port: number;
  let server: ServerProcess | null = null;
  const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-crash-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    port = await freePort();
    env = {
      DATABASE_URL: db.config.dialect === 'sqlite' ? db.config.path : db.config.url,
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
    await db.drop();
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

    // The storm: every subscriber writes as fast as it can; the server is killed at a random moment.
    let dead = false;
    const loops = Array.from({ length: PEOPLE }, async (_, who) => {
      while (!dead) {
        const op = nextOp(who);
        const attempt: Attempt = { op, key: randomUUID() };
        attempts.push(attempt);
        try {
          Object.assign(attempt, await request(op, tokens, emails, attempt.key));
        } catch {
          return; // the connection died with the server: this one was never acknowledged
        }
      }
    });
    await sleep(500 + random(1000));
    dead = true;
    await server.kill();
    await Promise.all(loops);
    const acknowledged = attempts.filter((a) => a.status !== undefined);
    const lost = attempts.filter((a) => a.status === undefined);
    expect(acknowledged.length).toBeGreaterThan(PEOPLE + 10);

    server = await startServerProcess(env, port);
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
    for (const a of lost) Object.assign(a, await request(a.op, tokens, emails, a.key));
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
