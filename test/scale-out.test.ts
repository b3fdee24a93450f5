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
  startCliProcess,
  startServerProcess,
} from './helpers/process.js';

const PEOPLE = 6;

describeEachDialect('scale-out: two API processes and two runners on one database', (dialect) => {
  let db: TestDatabase;
  const apis: ServerProcess[] = [];
  const runners: { stop(): Promise<void> }[] = [];
  const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-scale-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    for (const p of [...apis, ...runners]) await p.stop();
    await db.drop();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  it('runs no job twice, charges nothing twice and loses no notification', async () => {
    const ports = [await freePort(), await freePort()];
    const env = {
      DATABASE_URL: db.config.dialect === 'sqlite' ? db.config.path : db.config.url,
      ESIMDESK_MODE: 'demo',
      CURRENCY: 'CNY',
      EXPORT_DIR: exportDir,
      RATE_LIMIT_PER_MINUTE: '1000000',
      TOPUP_DAILY_MAX_MINOR: '1000000000',
      RUNNER_POLL_MS: '20',
    };
    expect(runCli(['migrate'], env).status).toBe(0);
    for (const port of ports) apis.push(await startServerProcess({ ...env, RUNNER_ENABLED: 'false' }, port));
    // The runners reach the SM-DP+ emulator and send through the first API process's address.
    for (let i = 0; i < 2; i++) runners.push(startCliProcess(['runner'], { ...env, PORT: String(ports[0]) }));

    let turn = 0;
    const call = (
      method: string,
      url: string,
      token: string | null,
      body?: unknown,
      key?: string,
      via?: number,
    ) => callServer(apis[via ?? turn++ % 2]!.url, method, url, token, body, key);
    const emails = Array.from({ length: PEOPLE }, (_, i) => `scale${i}.${dialect}@example.com`);
    const tokens: string[] = [];
    for (const email of emails) tokens.push(await signInToServer(call, email));

    // Every top-up is sent to both API processes at once with the same key: one charge each.
    const expected = Array.from({ length: PEOPLE }, () => 0);
    await Promise.all(
      tokens.map(async (token, who) => {
        for (let i = 0; i < 8; i++) {
          const key = randomUUID();
          const amount = 100 + i;
          const [a, b] = await Promise.all([
            call('POST', '/api/v1/me/topups', token, { amount }, key, 0),
            call('POST', '/api/v1/me/topups', token, { amount }, key, 1),
          ]);
          const ok = [a, b].filter((r) => r.status === 201);
          expect(ok.length, JSON.stringify([a, b])).toBeGreaterThanOrEqual(1);
          for (const r of [a, b]) if (r.status !== 201) expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
          if (ok.length === 2) expect(ok[0]!.body.id).toBe(ok[1]!.body.id);
          expected[who]! += amount;
          const to = (who + 1) % PEOPLE;
          const moved = await call(
            'POST',
            '/api/v1/me/transfers',
            token,
            { to: emails[to], amount: 7 },
            randomUUID(),
          );
          expect(moved.status).toBe(201);
          expected[who]! -= 7;
          expected[to]! += 7;
        }
      }),
    );
    for (let who = 0; who < PEOPLE; who++)
      expect((await call('GET', '/api/v1/me/balance', tokens[who]!)).body.amount).toBe(expected[who]);
    const conn = db.database.db;
    const payments = await conn
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(payments.n)).toBe(PEOPLE * 8);

    // The runners deliver everything; each job was claimed exactly once. A notice is a fan-out job
    // first, which writes the messages and their delivery jobs: wait for both kinds, or a fan-out
    // still queued adds messages after the delivery jobs looked finished.
    let waiting = 1;
    for (let i = 0; i < 300 && waiting > 0; i++) {
      const row = await conn
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['queued', 'running'])
        .where('kind', 'in', ['notifications.fanout', 'notifications.deliver'])
        .executeTakeFirstOrThrow();
      waiting = Number(row.n);
      if (waiting > 0) await sleep(100);
    }
    expect(waiting).toBe(0);
    const jobs = await conn
      .selectFrom('jobs')
      .select(['kind', 'status', 'attempts'])
      .where('kind', '=', 'notifications.deliver')
      .execute();
    expect(jobs.length).toBeGreaterThan(PEOPLE * 8 * 2);
    expect(jobs.filter((j) => j.status !== 'succeeded' || j.attempts !== 1)).toEqual([]);
    const messages = await conn.selectFrom('messages').select('id').execute();
    const mailbox = await conn.selectFrom('dev_mailbox').select('message_id').execute();
    expect(mailbox.map((m) => m.message_id).sort()).toEqual(messages.map((m) => m.id).sort());
    expect(runCli(['ledger', 'verify'], env).status).toBe(0);
  }, 120_000);
});
