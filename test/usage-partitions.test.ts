import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import type { Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { usageExportPage } from '../src/modules/exports/archive.js';
import { usageListQuery } from '../src/modules/usage/usage.store.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { createTestDatabase, describeEachDialect, itWhere } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, type Session, signIn, signInStaff } from './helpers/session.js';
import { unzip } from './helpers/zip.js';

const MB = 1024 ** 2;
const GB = 1024 ** 3;
const SYSTEM = { type: 'system' as const, id: 'test' };

/** The usage_records partitions a PostgreSQL plan reads. */
async function partitionsRead(query: { explain(): Promise<Record<string, unknown>[]> }): Promise<string[]> {
  const plan = (await query.explain()).map((row) => String(Object.values(row)[0])).join('\n');
  const names = plan.match(/\busage_records_(\d{4}_\d{2}|default)\b/g) ?? [];
  return [...new Set(names)].sort();
}

/** Which table (partition) holds each record, by the mediation system's id (PostgreSQL). */
async function whereStored(db: Db): Promise<Record<string, string>> {
  const rows = await sql<{ record_id: string; part: string }>`
    select record_id, tableoid::regclass::text as part from usage_records`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [r.record_id, r.part]));
}

// Issue 22, item 3: usage records by month. On PostgreSQL each UTC month is a partition that queries
// prune to and retention drops whole; on SQLite retention deletes in batches. Three months of records
// on one line (its expiry pushed out: no demo plan lasts three months), with a month boundary crossed
// by ingest, deduplication, a held record's approval and rerating.
describeEachDialect('usage records by month: partitions, pruning and retention', (dialect) => {
  const postgres = dialect === 'postgres';
  const clock = new ManualClock('2026-01-10T08:00:00.000Z');
  let t: TestApp;
  let key: string;
  let iccid: string;
  let lineId: string;
  let accountId: string;
  let email: string;
  let holdId: string;
  const send = (records: Array<Record<string, unknown>>) =>
    api(t, 'POST', '/api/v1/usage/records', {
      body: { records: records.map((r) => ({ iccid, country: 'JP', ...r })) },
      headers: { authorization: `Bearer ${key}` },
    });
  const r1 = { id: 'm-1', type: 'sms', direction: 'out', startedAt: '2026-01-20T10:00:00.000Z' };
  const r2 = { id: 'm-2', type: 'data', bytes: MB, startedAt: '2026-01-31T23:59:59.999Z' };
  const r3 = { id: 'm-3', type: 'sms', direction: 'out', startedAt: '2026-02-01T00:00:00.000Z' };
  const r4 = { id: 'm-4', type: 'data', bytes: 6 * GB, startedAt: '2026-01-31T23:30:00.000Z' };
  const r5 = { id: 'm-5', type: 'data', bytes: MB, startedAt: '2026-02-20T11:00:00.000Z' };
  const r6 = { id: 'm-6', type: 'sms', direction: 'in', startedAt: '2026-02-20T11:30:00.000Z' };
  const r7 = { id: 'm-7', type: 'sms', direction: 'out', startedAt: '2026-03-15T08:00:00.000Z' };
  const r8 = { id: 'm-8', type: 'data', bytes: MB, startedAt: '2026-03-31T23:59:00.000Z' };
  const r9 = { id: 'm-9', type: 'sms', direction: 'out', startedAt: '2026-04-01T00:01:00.000Z' };
  const all = [r1, r2, r3, r4, r5, r6, r7, r8, r9];

  const runScheduler = async () => {
    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();
  };
  const subscriber = async (): Promise<Session> => signIn(t, email);

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock, env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    const admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
    const policies = await api(t, 'PATCH', '/api/v1/staff/policies', {
      body: { usageRetentionMonths: 3, usageHoldAboveMinor: 1000 },
      headers: admin.headers,
    });
    expect(policies.body).toMatchObject({ usageRetentionMonths: 3 });
    email = 'months@example.com';
    const line = await activeLine(t, email, { topUp: 30_000 });
    ({ iccid, lineId } = line);
    accountId = line.session.account.id;
    await t.ctx.database.db
      .updateTable('lines')
      .set({ expires_at: '2026-12-31T00:00:00.000Z' })
      .where('id', '=', lineId)
      .execute();
    key = (await t.ctx.usage.addServiceKey('mediation')).key;
    await runScheduler();
  });
  afterAll(() => t.close());

  it('has the current month and the next two as partitions, created by the runner (PostgreSQL)', async () => {
    const months = await t.ctx.usage.partitions();
    if (!postgres) return expect(months).toEqual([]);
    expect(months).toEqual(expect.arrayContaining(['2026-01', '2026-02', '2026-03']));
    expect(months).not.toContain('2026-04');
  });

  it('ingests, deduplicates and holds across a month boundary, each record in its month', async () => {
    clock.set('2026-01-31T23:58:00.000Z');
    expect((await send([r1, r2, r3, r4])).body).toEqual({
      accepted: 3,
      duplicates: 0,
      rejected: [],
      held: [{ index: 3, id: expect.stringMatching(/^uhd_/) }],
    });
    holdId = (await t.ctx.usage.holds({ limit: 10 })).items[0]!.id;
    // The same records again, one of them claiming another month: all duplicates, held one included.
    expect(
      (
        await send([
          r1,
          { ...r3, startedAt: '2026-01-31T23:00:00.000Z' },
          { ...r2, startedAt: r3.startedAt },
          r4,
        ])
      ).body,
    ).toMatchObject({ accepted: 0, duplicates: 4, rejected: [], held: [] });
    if (postgres)
      expect(await whereStored(t.ctx.database.db)).toEqual({
        'm-1': 'usage_records_2026_01',
        'm-2': 'usage_records_2026_01',
        'm-3': 'usage_records_2026_02',
      });
  });

  it('approves a held record of the month before into that month, once', async () => {
    clock.set('2026-02-01T09:00:00.000Z');
    const decided = await t.ctx.usage.decideHold(
      holdId,
      { decision: 'approve', note: 'checked' },
      { actor: SYSTEM },
    );
    expect(decided).toMatchObject({ status: 'approved', charge: { amount: expect.any(Number) } });
    expect(decided.charge!.amount).toBeGreaterThan(1000);
    expect((await send([r4])).body).toMatchObject({ accepted: 0, duplicates: 1 });
    if (postgres) expect((await whereStored(t.ctx.database.db))['m-4']).toBe('usage_records_2026_01');
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('takes a record of a month without a partition into the default one, and the runner moves it', async () => {
    clock.set('2026-02-20T12:00:00.000Z');
    expect((await send([r5, r6])).body).toMatchObject({ accepted: 2, rejected: [] });
    clock.set('2026-03-31T23:58:00.000Z');
    expect((await send([r7, r8, r9])).body).toMatchObject({ accepted: 3, rejected: [] });
    if (postgres) expect((await whereStored(t.ctx.database.db))['m-9']).toBe('usage_records_default');

    clock.set('2026-04-01T00:10:00.000Z');
    await runScheduler();
    if (!postgres) return;
    expect(await t.ctx.usage.partitions()).toEqual(
      expect.arrayContaining(['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06']),
    );
    const stored = await whereStored(t.ctx.database.db);
    expect(stored['m-9']).toBe('usage_records_2026_04');
    expect(Object.values(stored)).not.toContain('usage_records_default');
  });

  it('rerates the line over the three months, and a second run changes nothing', async () => {
    const first = await t.ctx.usage.rerate(lineId, { actor: SYSTEM, requestId: 'test' });
    expect(first.records).toBe(all.length);
    expect(await t.ctx.usage.rerate(lineId, { actor: SYSTEM, requestId: 'test' })).toMatchObject({
      records: all.length,
      changed: 0,
      delta: 0,
    });
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('lists newest first across months, page by page', async () => {
    const sub = await subscriber();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/api/v1/me/usage?limit=4${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api(t, 'GET', path, { headers: sub.headers });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { recordId: string }) => i.recordId));
      cursor = res.body.nextCursor;
    } while (cursor);
    const newestFirst = [...all].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((r) => r.id);
    expect(seen).toEqual(newestFirst);
    const feb = await api(
      t,
      'GET',
      '/api/v1/me/usage?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z&type=data',
      { headers: sub.headers },
    );
    expect(feb.body.items.map((i: { recordId: string }) => i.recordId)).toEqual(['m-5']);
    const bad = await api(t, 'GET', '/api/v1/me/usage?cursor=bm9wZQ', { headers: sub.headers });
    expect(bad).toMatchObject({ status: 400, body: { details: { field: 'cursor' } } });
  });

  itWhere(postgres)('reads only the months a list page or an export page needs (EXPLAIN)', async () => {
    const { db } = t.ctx.database;
    const month = { from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' };
    expect(
      await partitionsRead(usageListQuery(db, accountId, { type: 'data', ...month, limit: 50 })),
    ).toEqual(['usage_records_2026_02']);
    // The next page after a February record, from the first month kept: January and February only.
    expect(
      await partitionsRead(
        usageListQuery(db, accountId, {
          from: '2026-01-01T00:00:00.000Z',
          after: { startedAt: r5.startedAt, id: 'usg_01KZZZZZZZZZZZZZZZZZZZZZZZ' },
          limit: 50,
        }),
      ),
    ).toEqual(['usage_records_2026_01', 'usage_records_2026_02']);
    expect(await partitionsRead(usageExportPage(db, accountId, 'data', month, null))).toEqual([
      'usage_records_2026_02',
    ]);
    expect(
      await partitionsRead(
        usageExportPage(db, accountId, 'sms', month, { startedAt: r3.startedAt, id: 'usg_0' }),
      ),
    ).toEqual(['usage_records_2026_02']);
    // Without any bound on the start time every month would be read: what the bounds above avoid.
    expect(
      (await partitionsRead(db.selectFrom('usage_records').selectAll().where('account_id', '=', accountId)))
        .length,
    ).toBeGreaterThan(4);
  });

  it('exports each month’s records in the order they happened', async () => {
    const sub = await subscriber();
    const requested = await api(t, 'POST', '/api/v1/me/exports', { headers: sub.headers });
    expect(requested.status).toBe(202);
    await t.ctx.runner.drain();
    const ready = (await api(t, 'GET', `/api/v1/me/exports/${requested.body.id}`, { headers: sub.headers }))
      .body;
    expect(ready.status).toBe('ready');
    const files = await unzip(Buffer.from(await (await fetch(`${t.url}${ready.downloadUrl}`)).arrayBuffer()));
    const ids = (name: string) =>
      files
        .get(name)!
        .split('\r\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => line.split(',')[0]);
    expect(ids('data.csv')).toEqual(['m-4', 'm-2', 'm-5', 'm-8']);
    expect(ids('sms.csv')).toEqual(['m-1', 'm-3', 'm-6', 'm-7', 'm-9']);
  });

  it('removes the month past the retention period, audited with its count, and refuses records from it', async () => {
    // May: with three months kept before it (February to April), January goes.
    clock.set('2026-05-02T00:00:00.000Z');
    await runScheduler();
    const left = await t.ctx.database.db
      .selectFrom('usage_records')
      .select('record_id')
      .orderBy('record_id')
      .execute();
    expect(left.map((r) => r.record_id)).toEqual(['m-3', 'm-5', 'm-6', 'm-7', 'm-8', 'm-9']);
    if (postgres) {
      const months = await t.ctx.usage.partitions();
      expect(months).not.toContain('2026-01');
      expect(months).toEqual(expect.arrayContaining(['2026-02', '2026-05', '2026-06', '2026-07']));
      const gone = await sql<{
        t: string | null;
      }>`select to_regclass('usage_records_2026_01')::text as t`.execute(t.ctx.database.db);
      expect(gone.rows[0]!.t).toBeNull();
      const keys = await t.ctx.database.db.selectFrom('usage_record_keys').select('record_id').execute();
      expect(keys.map((k) => k.record_id).sort()).toEqual(left.map((r) => r.record_id));
    }
    // The approved hold of January went with its record.
    expect(
      await t.ctx.database.db.selectFrom('usage_holds').select('id').where('id', '=', holdId).execute(),
    ).toEqual([]);
    const audited = await t.ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'usage.month_removed')
      .execute();
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor_type: 'system',
      subject_type: 'usage_month',
      subject_id: '2026-01',
    });
    expect(JSON.parse(audited[0]!.after!)).toEqual({
      month: '2026-01',
      records: 3,
      holds: 1,
      partitionDropped: postgres,
      firstMonthKept: '2026-02',
      retentionMonths: 3,
    });

    // A January record now would be removed at once, and could duplicate one already removed.
    expect((await send([{ ...r1, id: 'm-late' }])).body).toMatchObject({
      accepted: 0,
      rejected: [{ index: 0, code: 'STARTED_BEFORE_RETENTION', field: 'startedAt' }],
    });
    // Nothing more to remove: a second run neither removes nor audits anything.
    expect(await t.ctx.usage.applyRetention()).toEqual([]);
    expect(
      await t.ctx.database.db
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', 'usage.month_removed')
        .execute(),
    ).toHaveLength(1);
  });
});

// The migration converts an existing table on PostgreSQL (rows moved into their months, record ids
// kept unique across them) and leaves SQLite's table as it is; down restores the plain table.
describeEachDialect('migration 0022: usage records by month', (dialect) => {
  it('moves existing records into their months and keeps their ids unique; down restores the table', async () => {
    const test = await createTestDatabase(dialect, { migrate: false });
    try {
      const { db } = test.database;
      const names = Object.keys(MIGRATIONS);
      const before = names[names.indexOf('0022-usage-partitions') - 1]!;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo(before)).error).toBeUndefined();
      const row = (n: number, startedAt: string) => ({
        id: `usg_01JZZZZZZZZZZZZZZZZZZZZZZ${n}`,
        record_id: `old-${n}`,
        account_id: 'acc_x',
        line_id: 'lin_x',
        iccid: '8986099000000000001',
        type: 'sms' as const,
        started_at: startedAt,
        duration_seconds: null,
        bytes: null,
        counterpart: null,
        direction: 'out' as const,
        country: 'JP',
        charge: 20,
        created_at: startedAt,
      });
      await db
        .insertInto('usage_records')
        .values([
          row(1, '2025-09-30T23:59:59.999Z'),
          row(2, '2025-10-01T00:00:00.000Z'),
          row(3, '2025-11-15T12:00:00.000Z'),
        ])
        .execute();
      expect((await migrateToLatest(db)).applied).toEqual(['0022-usage-partitions']);
      const after = await db.selectFrom('usage_records').select(['record_id', 'started_at']).execute();
      expect(after.sort((a, b) => a.record_id.localeCompare(b.record_id))).toEqual([
        { record_id: 'old-1', started_at: '2025-09-30T23:59:59.999Z' },
        { record_id: 'old-2', started_at: '2025-10-01T00:00:00.000Z' },
        { record_id: 'old-3', started_at: '2025-11-15T12:00:00.000Z' },
      ]);
      if (dialect === 'postgres') {
        expect(await whereStored(db)).toEqual({
          'old-1': 'usage_records_2025_09',
          'old-2': 'usage_records_2025_10',
          'old-3': 'usage_records_2025_11',
        });
        // The record id stays unique across months, through the key table ingest fills.
        await expect(
          db.insertInto('usage_record_keys').values({ record_id: 'old-2' }).execute(),
        ).rejects.toThrow(/duplicate|unique/i);
      } else {
        const indexes = await sql<{
          name: string;
        }>`select name from pragma_index_list('usage_records')`.execute(db);
        expect(indexes.rows.map((i) => i.name)).toEqual(
          expect.arrayContaining(['usage_by_account_time', 'usage_by_start']),
        );
      }
      expect((await migrator.migrateTo(before)).error).toBeUndefined();
      expect(await db.selectFrom('usage_records').select('record_id').orderBy('record_id').execute()).toEqual(
        [{ record_id: 'old-1' }, { record_id: 'old-2' }, { record_id: 'old-3' }],
      );
      await expect(
        db.insertInto('usage_records').values(row(4, '2025-12-01T00:00:00.000Z')).execute(),
      ).resolves.toBeDefined();
      await expect(
        db
          .insertInto('usage_records')
          .values({ ...row(5, '2025-12-02T00:00:00.000Z'), record_id: 'old-1' })
          .execute(),
      ).rejects.toThrow(/duplicate|unique/i);
    } finally {
      await test.drop();
    }
  });
});
