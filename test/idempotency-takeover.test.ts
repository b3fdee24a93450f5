import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { ledgerAccountId } from '../src/modules/wallet/ledger.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, balanceOf, newKey, type Session, signIn, topUp } from './helpers/session.js';

/** A promise and the function that settles it. */
function signal() {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

/** Resolves once nothing but I/O is left to run: every promise chain started so far has reached its wait. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

// The claim window is one second; the clock is moved past it while the first request is blocked.
describeEachDialect('idempotency: a retry taking over a slow request', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  let alice: Session;
  /** Idempotency keys of the requests that reached their route handler. */
  let reached: Map<string, () => void>;
  beforeEach(async () => {
    clock = new ManualClock('2026-06-01T08:00:00.000Z');
    reached = new Map();
    t = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', IDEMPOTENCY_CLAIM_SECONDS: '1' },
      register: (app) => {
        app.addHook('preHandler', async (request) => {
          const key = request.headers['idempotency-key'];
          if (typeof key === 'string') reached.get(key)?.();
        });
      },
    });
    alice = await signIn(t, 'alice@example.com');
    await signIn(t, 'bob@example.com');
    await topUp(t, alice, 10_000);
  });
  afterEach(() => t.close());

  const transfer = (key: string) =>
    api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: 'bob@example.com', amount: { amount: 777, currency: 'CNY' } },
      headers: { ...alice.headers, 'idempotency-key': key },
    });

  /**
   * Blocks what the transfer needs from another connection until released. PostgreSQL: a row lock on
   * the sender's wallet, taken by a connection of its own. SQLite has one writer: a transaction holds
   * it, and every other transaction of the process queues behind it in the order it asked.
   */
  async function blockWallet() {
    if (dialect === 'postgres') {
      const client = new pg.Client({
        connectionString: t.db.config.dialect === 'postgres' ? t.db.config.url : '',
      });
      await client.connect();
      await client.query('begin');
      await client.query('select id from ledger_accounts where id = $1 for update', [
        ledgerAccountId('wallet', 'CNY', alice.account.id),
      ]);
      return {
        release: async () => {
          await client.query('commit');
          await client.end();
        },
      };
    }
    const inside = signal();
    const gate = signal();
    const holder = t.ctx.database.db.transaction().execute(async (tx) => {
      await sql`select 1`.execute(tx);
      inside.fire();
      await gate.promise;
    });
    await inside.promise;
    return {
      release: async () => {
        gate.fire();
        await holder;
      },
    };
  }

  /** Waits until the request with `key` is blocked behind the holder. */
  async function blocked(key: string, waiters: number) {
    if (dialect === 'sqlite') {
      // Its handler ran; from there to the queue for the connection is promise chains only.
      const arrived = signal();
      reached.set(key, arrived.fire);
      return async () => {
        await arrived.promise;
        await settled();
      };
    }
    return async () => {
      const probe = t.ctx.database.db;
      for (let i = 0; i < 500; i++) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(probe);
        if (Number(rows[0]!.n) >= waiters) return;
        await sleep(10);
      }
      throw new Error(`never saw ${waiters} requests waiting for the lock`);
    };
  }

  it('moves the money once when a retry takes over a request blocked past the claim window; both get one answer', async () => {
    const key = newKey();
    const hold = await blockWallet();
    const firstBlocked = await blocked(key, 1);
    const first = transfer(key);
    await firstBlocked();
    // The client gives up waiting and retries after the claim window.
    clock.advance(2_000);
    const secondBlocked = await blocked(key, 2);
    const second = transfer(key);
    await secondBlocked();
    await hold.release();
    const [a, b] = await Promise.all([first, second]);

    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body).toEqual(b.body);
    // One answered from its own work, the other with what that one stored.
    expect([a, b].filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    const db = t.ctx.database.db;
    const postings = await db
      .selectFrom('ledger_postings')
      .select(['reference_id', 'amount'])
      .where('kind', '=', 'transfer')
      .execute();
    expect(postings).toEqual([{ reference_id: a.body.id, amount: 777 }]);
    expect(await balanceOf(t, alice)).toBe(10_000 - 777);
    await t.ctx.runner.drain();
    const notices = await db
      .selectFrom('messages')
      .select('template')
      .where('template', 'in', ['transfer_sent', 'transfer_received'])
      .execute();
    expect(notices.map((n) => n.template).sort()).toEqual(['transfer_received', 'transfer_sent']);
    const stored = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.status).toBe('done');
    expect(JSON.parse(stored[0]!.response_body!)).toEqual(a.body);
    expect(await t.ctx.ledger.verify(db)).toEqual([]);
  });

  it('refuses a retry inside the claim window and lets the first request finish', async () => {
    const key = newKey();
    const hold = await blockWallet();
    const firstBlocked = await blocked(key, 1);
    const first = transfer(key);
    await firstBlocked();
    clock.advance(500);
    const earlyBlocked = await blocked(key, 1);
    const early = transfer(key);
    // PostgreSQL answers at once; on SQLite the retry's claim queues behind the first request's.
    if (dialect === 'sqlite') await earlyBlocked();
    else await early;
    await hold.release();
    expect((await first).status).toBe(201);
    expect(await early).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_IN_PROGRESS' } });
    const later = await transfer(key);
    expect(later).toMatchObject({ status: 201, body: (await first).body });
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(await balanceOf(t, alice)).toBe(10_000 - 777);
  });
});
