import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, balanceOf, newKey, type Session, signIn, topUp } from './helpers/session.js';

/** The CLI from the sources (as test/helpers/process.ts runs it). */
const CLI = [
  '--import',
  new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href,
  new URL('./helpers/cli-entry.ts', import.meta.url).pathname,
];

/** An SM-DP+ that takes every ES2+ call and never answers: a runner calling it is stuck there. */
async function silentSmdp() {
  const calls: string[] = [];
  const sockets = new Set<net.Socket>();
  let called: () => void = () => {};
  const firstCall = new Promise<void>((resolve) => {
    called = resolve;
  });
  const server = http.createServer((request) => {
    calls.push(request.url ?? '');
    called();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    firstCall,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const LEASE_MS = 1000;

// The runner is a real process killed with SIGKILL while it waits for the SM-DP+ on the order's last
// attempt; another runner (this process) finds the lease run out and runs the order's failure path.
describeEachDialect('a runner killed on an order’s last attempt', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  let smdp: Awaited<ReturnType<typeof silentSmdp>>;
  let child: ChildProcess | null = null;
  beforeEach(async () => {
    clock = new ManualClock(new Date().toISOString());
    t = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', RUNNER_LEASE_MS: String(LEASE_MS) },
    });
    await t.ctx.catalog.seedDemo();
    smdp = await silentSmdp();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await smdp.close();
    await t.close();
  });

  it('fails the order once: line not pending, price refunded once, number freed, subscriber told once', async () => {
    const alice: Session = await signIn(t, 'alice@example.com');
    await topUp(t, alice, 10_000);
    const plans = (await api(t, 'GET', '/api/v1/plans?country=JP')).body.items as Array<{
      id: string;
      code: string;
      price: { amount: number };
    }>;
    const plan = plans.find((p) => p.code === 'jp-5gb-7d')!;
    const bought = await api(t, 'POST', '/api/v1/me/lines', {
      body: { planId: plan.id },
      headers: { ...alice.headers, 'idempotency-key': newKey() },
    });
    expect(bought.status).toBe(201);
    const lineId: string = bought.body.id;
    const msisdn: string = bought.body.msisdn;
    expect(await balanceOf(t, alice)).toBe(10_000 - plan.price.amount);
    const db = t.ctx.database.db;
    // Seven attempts went by already: the next is the last.
    await db
      .updateTable('jobs')
      .set((eb) => ({ attempts: eb('max_attempts', '-', 1) }))
      .where('kind', '=', 'lines.esim.order')
      .execute();

    const url = t.db.config.dialect === 'sqlite' ? t.db.config.path : t.db.config.url;
    child = spawn(process.execPath, [...CLI, 'runner'], {
      env: {
        ...process.env,
        DATABASE_URL: url,
        ESIMDESK_MODE: 'demo',
        CURRENCY: 'CNY',
        SMDP_URL: smdp.url,
        SMDP_CALLER_ID: 'silent-smdp',
        RUNNER_POLL_MS: '20',
        RUNNER_LEASE_MS: String(LEASE_MS),
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    await Promise.race([
      smdp.firstCall,
      exited.then(() => {
        throw new Error('the runner exited before calling the SM-DP+');
      }),
    ]);
    expect(smdp.calls[0]).toMatch(/downloadOrder$/);
    const [job] = await db.selectFrom('jobs').selectAll().where('kind', '=', 'lines.esim.order').execute();
    expect(job).toMatchObject({ status: 'running' });
    expect(job!.attempts).toBe(job!.max_attempts);
    child.kill('SIGKILL');
    await exited;

    // The lease runs out; the next runner to look dead-letters the job through its failure path.
    clock.set(new Date(Date.parse(job!.locked_until!) + 1));
    await t.ctx.runner.drain();
    clock.advance(60 * 60 * 1000);
    await t.ctx.runner.drain();

    const line = await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: alice.headers });
    expect(line.body.status).toBe('failed');
    expect(line.body.esim.state).toBe('failed');
    expect(await balanceOf(t, alice)).toBe(10_000);
    const reversals = await db
      .selectFrom('ledger_postings')
      .select(['amount', 'reference_id'])
      .where('kind', '=', 'purchase_reversal')
      .execute();
    expect(reversals).toEqual([{ amount: plan.price.amount, reference_id: lineId }]);
    const number = await db
      .selectFrom('numbers')
      .select(['status', 'line_id'])
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow();
    expect(number).toEqual({ status: 'available', line_id: null });
    const told = await db
      .selectFrom('messages')
      .select(['template', 'to'])
      .where('template', '=', 'order_failed')
      .execute();
    expect(told).toEqual([{ template: 'order_failed', to: 'alice@example.com' }]);
    const dead = await db.selectFrom('jobs').selectAll().where('id', '=', job!.id).executeTakeFirstOrThrow();
    expect(dead).toMatchObject({ status: 'dead', last_error: 'lease expired on the final attempt' });
    expect(await t.ctx.ledger.verify(db)).toEqual([]);
  });
});
