import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { runCli } from './helpers/process.js';
import { api, balanceOf, newKey, type Session, topUp } from './helpers/session.js';

const GB = 1024 ** 3;
// Steps of a minute: the mediation system's clock may run up to five minutes ahead of the server's,
// so a record can arrive (and be rated) a little before the server's clock reaches its start.
const MINUTE = 60_000;
/** 1 GB beyond the allowance at the demo plan's 0.10 per MB. */
const ONE_GB_OVER = 1024 * 10;

// Re-rating a line's current allowance period: records in the order they happened, add-ons from
// when they were bought, the difference posted once, and a second run changing nothing.
describeEachDialect('usage rerate', (dialect) => {
  const clock = new ManualClock('2026-11-02T00:00:00.000Z');
  const at = (minutes: number) =>
    new Date(Date.parse('2026-11-02T00:00:00.000Z') + minutes * MINUTE).toISOString();
  let t: TestApp;
  let sub: Session;
  let lineId: string;
  let iccid: string;
  let key: string;
  let seq = 0;
  const send = (records: Array<Record<string, unknown>>) =>
    api(t, 'POST', '/api/v1/usage/records', {
      body: { records: records.map((r) => ({ id: `rr-${++seq}`, iccid, country: 'JP', ...r })) },
      headers: { authorization: `Bearer ${key}` },
    });
  const charges = async () =>
    (await api(t, 'GET', '/api/v1/me/usage?type=data', { headers: sub.headers })).body.items
      .map((i: { startedAt: string; charge: { amount: number } }) => [i.startedAt, i.charge.amount])
      .sort();
  const rerate = () =>
    t.ctx.usage.rerate(lineId, { actor: { type: 'system', id: 'test' }, requestId: 'test' });

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock, env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    await t.ctx.lineExtras.seedDemoAddons();
    ({ session: sub, lineId, iccid } = await activeLine(t, 'rerate@example.com', { topUp: 20_000 }));
    key = (await t.ctx.usage.addServiceKey('mediation')).key;
  });
  afterAll(() => t.close());

  it('moves charges to the records that happened last, without changing the total, and only once', async () => {
    // The 5 GB record happened second but arrives first: at ingest it uses the whole allowance.
    await send([{ type: 'data', bytes: 5 * GB, startedAt: at(2) }]);
    await send([{ type: 'data', bytes: GB, startedAt: at(1) }]);
    expect(await charges()).toEqual([
      [at(1), ONE_GB_OVER],
      [at(2), 0],
    ]);
    const balance = await balanceOf(t, sub);

    expect(await rerate()).toEqual({
      lineId,
      records: 2,
      changed: 2,
      previousTotal: ONE_GB_OVER,
      newTotal: ONE_GB_OVER,
      delta: 0,
    });
    expect(await charges()).toEqual([
      [at(1), 0],
      [at(2), ONE_GB_OVER],
    ]);
    expect(await balanceOf(t, sub)).toBe(balance);
    expect(await rerate()).toMatchObject({ records: 2, changed: 0, delta: 0 });
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('counts an add-on from when it was bought and gives back what it covers: arrears first, then the wallet', async () => {
    // Drain the wallet into arrears with a record that happened after the add-on below was bought.
    clock.set(at(3));
    const before = await balanceOf(t, sub);
    await send([{ type: 'data', bytes: GB, startedAt: at(5) }]);
    await send([{ type: 'data', bytes: 2 * GB, startedAt: at(6) }]);
    const arrears = 3 * ONE_GB_OVER - before;
    expect(await balanceOf(t, sub)).toBe(0);
    expect(await t.ctx.usage.arrears(sub.account.id)).toBe(arrears);

    // A top-up pays arrears first: this one pays them and the add-on, nothing more.
    const addon = (await api(t, 'GET', '/api/v1/addons')).body.items.find(
      (a: { code: string }) => a.code === 'data-1gb',
    );
    await topUp(t, sub, arrears + addon.price.amount);
    const bought = await api(t, 'POST', `/api/v1/me/lines/${lineId}/addons`, {
      body: { addonId: addon.id },
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(bought.status).toBe(201);
    expect(await balanceOf(t, sub)).toBe(0);
    // New arrears, from an hour's call (no voice allowance: 60 minutes at 0.50), rated the same again.
    clock.set(at(70));
    await send([{ type: 'voice', durationSeconds: 3600, direction: 'out', startedAt: at(8) }]);
    const owed = 60 * 50;
    expect(await t.ctx.usage.arrears(sub.account.id)).toBe(owed);

    // Rated again, the add-on bought at minute 3 covers the 1 GB at minute 5.
    expect(await rerate()).toMatchObject({ records: 5, changed: 1, delta: -ONE_GB_OVER });
    expect(await t.ctx.usage.arrears(sub.account.id)).toBe(0);
    expect(await balanceOf(t, sub)).toBe(ONE_GB_OVER - owed);
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: sub.headers })).body;
    expect(line.allowances.dataBytes).toBe(0);
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
    const audited = await t.ctx.database.db
      .selectFrom('audit_log')
      .select('after')
      .where('action', '=', 'usage.rerated')
      .orderBy('id')
      .execute();
    expect(audited).toHaveLength(3);
    expect(JSON.parse(audited[2]!.after!)).toMatchObject({ lineId, delta: -ONE_GB_OVER });
  });

  it('runs as `esimdesk usage rerate --line`, and names an unknown line', () => {
    const database =
      t.db.config.dialect === 'sqlite' ? `sqlite:${t.db.config.path}` : (t.db.config as { url: string }).url;
    const again = runCli(['usage', 'rerate', '--line', lineId], { DATABASE_URL: database });
    expect(again.status).toBe(0);
    expect(JSON.parse(again.output.slice(again.output.indexOf('{')))).toMatchObject({
      lineId,
      changed: 0,
      delta: 0,
    });
    const unknown = runCli(['usage', 'rerate', '--line', 'lin_nope'], { DATABASE_URL: database });
    expect(unknown.status).not.toBe(0);
    expect(unknown.output).toContain('LINE_NOT_FOUND');
  }, 120_000); // two processes started from the sources: slow on a busy two-core machine
});
