import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { encodeCursor } from '../src/core/pagination.js';
import type { Db } from '../src/db/database.js';
import { createStatements, isSettledHistory } from '../src/modules/wallet/statement.service.js';
import { createWalletCore } from '../src/modules/wallet/wallet.core.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, newKey, signIn } from './helpers/session.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A posting id made at `ms` (newId cannot go back in time: its ids only grow within a process). */
function postingIdAt(ms: number): string {
  let time = '';
  for (let i = 0, rest = ms; i < 10; i++, rest = Math.floor(rest / 32)) time = ALPHABET[rest % 32] + time;
  return `pst_${time}${'0'.repeat(16)}`;
}

// A statement page of postings older than a minute is read through Database.reading (a replica when
// one answers); the newest page, what a subscriber checks right after moving money, on the primary.
// test/read-replica.test.ts runs the same pages against a real streaming replica.
describeEachDialect('wallet statement: settled history on a replica', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    // Ids only grow within a process, so each dialect's clock starts past every id made before it.
    clock = new ManualClock(new Date(Date.now() + (dialect === 'sqlite' ? 1 : 2) * 86_400_000));
    t = await startTestApp(dialect, { clock, env: { CURRENCY: 'CNY' } });
  });
  afterEach(async () => {
    await t?.close();
  });

  it('decides from the page’s end or its cursor whether every posting on it is older than a minute', () => {
    const now = clock.now();
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
    expect(isSettledHistory({}, undefined, now)).toBe(false);
    expect(isSettledHistory({ to: at(30_000) }, undefined, now)).toBe(false);
    expect(isSettledHistory({ to: at(61_000) }, undefined, now)).toBe(true);
    expect(isSettledHistory({}, postingIdAt(now.getTime() - 10_000), now)).toBe(false);
    expect(isSettledHistory({}, postingIdAt(now.getTime() - 120_000), now)).toBe(true);
  });

  it('reads pages of settled history through the replica reader and the newest page on the primary', async () => {
    const alice = await signIn(t, 'alice@example.com');
    for (const amount of [1_000, 2_000, 3_000]) {
      const res = await api(t, 'POST', '/api/v1/me/topups', {
        body: { amount: { amount, currency: 'CNY' } },
        headers: { ...alice.headers, 'idempotency-key': newKey() },
      });
      expect(res.status).toBe(201);
      clock.advance(31_000);
    }
    await t.ctx.runner.drain();
    const db = t.ctx.database.db;
    const reads: string[] = [];
    const statements = createStatements({
      db,
      clock,
      ledger: t.ctx.ledger,
      core: createWalletCore({ currency: 'CNY', ledger: t.ctx.ledger }),
      reading: async <T>(fn: (on: Db) => Promise<T>) => {
        reads.push('replica');
        return fn(db);
      },
    });
    const accountId = alice.account.id;
    const newest = await statements.statement(accountId, { limit: 1 });
    expect(newest.items.map((i) => i.amount.amount)).toEqual([3_000]);
    expect(reads).toEqual([]);
    // The next pages continue before postings made 31 s and 62 s ago: the third is settled history.
    const second = await statements.statement(accountId, { limit: 1, cursor: newest.nextCursor! });
    expect(second.items.map((i) => i.amount.amount)).toEqual([2_000]);
    expect(reads).toEqual([]);
    const third = await statements.statement(accountId, { limit: 1, cursor: second.nextCursor! });
    expect(third.items.map((i) => i.amount.amount)).toEqual([1_000]);
    expect(reads).toEqual(['replica']);
    // A page ending over a minute ago, whatever its cursor.
    const ended = await statements.statement(accountId, {
      limit: 10,
      to: new Date(clock.now().getTime() - 62_000).toISOString(),
    });
    expect(ended.items.map((i) => i.amount.amount)).toEqual([1_000]);
    expect(reads).toEqual(['replica', 'replica']);
    // The route takes the same path (the test app has no replica, so the reader is the primary).
    const viaApi = await api(
      t,
      'GET',
      `/api/v1/me/ledger?limit=1&cursor=${encodeCursor(postingIdAt(clock.now().getTime() - 120_000))}`,
      { headers: alice.headers },
    );
    expect(viaApi.status).toBe(200);
  });
});
