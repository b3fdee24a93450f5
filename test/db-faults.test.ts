import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect, itWhere } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { api, balanceOf, type Session, signIn, topUp } from './helpers/session.js';

async function adminQuery(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_ENV.pgUrl });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

describeEachDialect('a database that cannot be written', (dialect) => {
  let t: TestApp;
  let alice: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    alice = await signIn(t, `faults.${dialect}@example.com`);
  });
  afterAll(() => t?.close());

  const databaseName = () =>
    t.db.config.dialect === 'postgres' ? new URL(t.db.config.url).pathname.slice(1) : '';

  /** SQLite: the connection refuses writes exactly as a read-only file does (SQLITE_READONLY; the
   * tests run as root, whom file permissions do not stop). PostgreSQL: the database is made
   * read-only for new sessions and the app's sessions are ended, as after a fail-over to a standby. */
  async function makeReadOnly(readOnly: boolean) {
    if (dialect === 'sqlite') {
      await sql.raw(`pragma query_only = ${readOnly ? 1 : 0}`).execute(t.ctx.database.db);
      return;
    }
    const name = databaseName();
    await adminQuery(
      `alter database ${name} ${readOnly ? 'set default_transaction_read_only = on' : 'reset default_transaction_read_only'}`,
    );
    await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
  }

  /** /readyz until it answers `status` (after ended sessions the pool first drops its dead connections). */
  async function readyz(status: number) {
    let res = await api(t, 'GET', '/readyz');
    for (let i = 0; i < 20 && res.status !== status; i++) res = await api(t, 'GET', '/readyz');
    return res;
  }

  it('reports ready only while a write goes through, answers writes with 503 STORAGE_UNAVAILABLE, and recovers by itself', async () => {
    const ready = await api(t, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: 'up', writable: true });
    expect(ready.body.reason).toBeUndefined();
    expect((await topUp(t, alice, 500)).status).toBe(201);

    await makeReadOnly(true);
    try {
      const notReady = await readyz(503);
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({ status: 'not_ready', database: 'up', writable: false });
      expect(notReady.body.reason).toMatch(
        dialect === 'sqlite' ? /cannot be written \(SQLITE_READONLY/ : /cannot be written \(25006\)/,
      );
      const refused = await topUp(t, alice, 700);
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ code: 'STORAGE_UNAVAILABLE', message: expect.any(String), details: {} });
      expect(refused.headers.get('retry-after')).toBe('30');
      // Reads still work.
      expect(await balanceOf(t, alice)).toBe(500);
    } finally {
      await makeReadOnly(false);
    }

    expect((await readyz(200)).status).toBe(200);
    expect((await topUp(t, alice, 700)).status).toBe(201);
    expect(await balanceOf(t, alice)).toBe(1200);
  });

  itWhere(dialect === 'sqlite')(
    'a full disk (SQLITE_FULL, here through max_page_count) answers 503 STORAGE_UNAVAILABLE and service resumes when space returns',
    async () => {
      const db = t.ctx.database.db;
      const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
        body: { subject: 'Disk', message: 'Opening a thread to reply on.' },
        headers: alice.headers,
      });
      expect(ticket.status).toBe(201);
      const reply = () =>
        api(t, 'POST', `/api/v1/me/tickets/${ticket.body.id}/messages`, {
          body: { message: 'x'.repeat(4000) },
          headers: alice.headers,
        });
      const count = async () =>
        Number(
          (
            await db
              .selectFrom('ticket_messages')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const pages = await sql<{ page_count: number }>`pragma page_count`.execute(db);
      await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(db);
      let refused: Awaited<ReturnType<typeof reply>> | null = null;
      try {
        // Each reply needs new pages; the first that finds none finds the disk full.
        for (let i = 0; i < 50 && !refused; i++) {
          const res = await reply();
          if (res.status !== 201) refused = res;
        }
        expect(refused?.status).toBe(503);
        expect(refused?.body).toEqual({
          code: 'STORAGE_UNAVAILABLE',
          message: expect.any(String),
          details: {},
        });
      } finally {
        await sql.raw('pragma max_page_count = 1073741823').execute(db);
      }
      const before = await count();
      expect((await reply()).status).toBe(201);
      expect(await count()).toBe(before + 1);
      expect(await t.ctx.ledger.verify(db)).toEqual([]);
      expect((await api(t, 'GET', '/readyz')).status).toBe(200);
    },
  );

  itWhere(dialect === 'sqlite')(
    'is not ready while the disk holding the database has less free space than SQLITE_MIN_FREE_MB',
    async () => {
      const stats = fs.statfsSync(path.dirname(t.db.config.dialect === 'sqlite' ? t.db.config.path : ''));
      const freeMb = Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
      const short = await startTestApp(dialect, { env: { SQLITE_MIN_FREE_MB: String(freeMb + 1024) } });
      try {
        const res = await api(short, 'GET', '/readyz');
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ status: 'not_ready', database: 'up', writable: true });
        expect(res.body.reason).toMatch(
          /^disk almost full: \d+ MB free where the database is, below SQLITE_MIN_FREE_MB/,
        );
      } finally {
        await short.close();
      }
      // The default floor (100 MB) on this machine's disk: ready.
      expect((await api(t, 'GET', '/readyz')).status).toBe(200);
    },
  );
});

describe('database faults', () => {
  it("tells each dialect's connection and storage failures from other errors", async () => {
    // End to end (a killed backend, a restarted server) in test/pg-restart.test.ts.
    const { databaseFault } = await import('../src/db/errors.js');
    expect(
      databaseFault(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    ).toBe('unavailable');
    expect(databaseFault(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(databaseFault(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      'unavailable',
    );
    expect(databaseFault(Object.assign(new Error('disk full'), { code: '53100' }))).toBe('storage');
    expect(databaseFault(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(
      'storage',
    );
    expect(databaseFault(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeNull();
    expect(databaseFault(new Error('a bug'))).toBeNull();
  });
});
