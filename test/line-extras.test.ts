import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { activeLine } from './helpers/lines.js';
import { api, balanceOf, newKey, type Session, signIn, signInStaff, topUp } from './helpers/session.js';

describeEachDialect('network choice and add-ons', (dialect) => {
  let t: TestApp;
  let sub: Session;
  let lineId: string;
  let europeLineId: string;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    expect(await t.ctx.lineExtras.seedDemoAddons()).toBe(4);
    sub = await signIn(t, 'roamer@example.com');
    await topUp(t, sub, 50_000);
    const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as Array<{ id: string; code: string }>;
    const buy = async (code: string) =>
      (
        await api(t, 'POST', '/api/v1/me/lines', {
          body: { planId: plans.find((p) => p.code === code)!.id },
          headers: { ...sub.headers, 'idempotency-key': newKey() },
        })
      ).body.id;
    lineId = await buy('jp-5gb-7d');
    europeLineId = await buy('europe-15gb-30d');
    await t.ctx.runner.drain();
  });
  afterAll(() => t.close());

  it('lists the partner networks of a covered country and switches the preferred one, audited', async () => {
    const jp = await api(t, 'GET', `/api/v1/me/lines/${lineId}/networks?country=jp`, {
      headers: sub.headers,
    });
    expect(jp.status).toBe(200);
    expect(jp.body.preferred).toBeNull();
    const names = jp.body.networks.map((n: { name: string }) => n.name);
    // The operator's partners only: no MVNO (IIJmio, Soracom) and no brand twice (au has four codes).
    expect(names).toEqual(['NTT docomo', 'Rakuten Mobile', 'SoftBank', 'au']);
    const docomo = jp.body.networks.find((n: { name: string }) => n.name === 'NTT docomo');
    expect(docomo.plmn).toBe(`${docomo.mcc}${docomo.mnc}`);
    expect(docomo.mcc).toBe('440');

    const chosen = await api(t, 'PUT', `/api/v1/me/lines/${lineId}/networks/JP`, {
      body: { plmn: docomo.plmn },
      headers: sub.headers,
    });
    expect(chosen.body.preferred).toBe(docomo.plmn);
    const actions = await t.ctx.database.db
      .selectFrom('network_actions')
      .selectAll()
      .where('action', '=', 'prefer_network')
      .execute();
    expect(JSON.parse(actions[0]!.detail!)).toEqual({ country: 'JP', plmn: docomo.plmn });
    const fr = await api(t, 'GET', `/api/v1/me/lines/${europeLineId}/networks?country=FR`, {
      headers: sub.headers,
    });
    expect(fr.body.networks.length).toBeGreaterThan(2);

    expect(
      (await api(t, 'GET', `/api/v1/me/lines/${lineId}/networks?country=FR`, { headers: sub.headers })).body
        .code,
    ).toBe('COUNTRY_NOT_COVERED');
    expect(
      (
        await api(t, 'PUT', `/api/v1/me/lines/${lineId}/networks/JP`, {
          body: { plmn: '20801' },
          headers: sub.headers,
        })
      ).body.code,
    ).toBe('INVALID_NETWORK');
    expect(
      (await api(t, 'GET', `/api/v1/me/lines/${lineId}/networks?country=XX`, { headers: sub.headers })).body
        .code,
    ).toBe('INVALID_COUNTRY');
  });

  it('sells add-ons for active lines only and adds them to the remaining allowances', async () => {
    const addons = (await api(t, 'GET', '/api/v1/addons', { headers: { 'accept-language': 'zh-CN' } })).body
      .items;
    const oneGb = addons.find((a: { code: string }) => a.code === 'data-1gb');
    expect(oneGb.name).toBe('加量 1GB');
    const pending = await api(t, 'POST', `/api/v1/me/lines/${lineId}/addons`, {
      body: { addonId: oneGb.id },
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(pending.body.code).toBe('LINE_NOT_ACTIVE');

    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: sub.headers })).body;
    await api(t, 'POST', `/emulator/smdp/devices/${deviceEid(41)}/download`, {
      body: { activationCode: line.esim.activationCode },
    });
    const before = await balanceOf(t, sub);
    const bought = await api(t, 'POST', `/api/v1/me/lines/${lineId}/addons`, {
      body: { addonId: oneGb.id },
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(bought.status, JSON.stringify(bought.body)).toBe(201);
    expect(await balanceOf(t, sub)).toBe(before - oneGb.price.amount);
    const after = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: sub.headers })).body;
    expect(after.allowances.dataBytes).toBe((5 + 1) * 1024 ** 3);
    expect(after.allowances.total.dataBytes).toBe((5 + 1) * 1024 ** 3);
    expect(
      (
        await api(t, 'POST', `/api/v1/me/lines/${lineId}/addons`, {
          body: { addonId: 'add_01NONEAAAAAAAAAAAAAAAAAAA' },
          headers: { ...sub.headers, 'idempotency-key': newKey() },
        })
      ).body.code,
    ).toBe('ADDON_NOT_FOUND');
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('quotes a plan change with a pro-rata credit, then changes the plan now', async () => {
    const plans = (await api(t, 'GET', '/api/v1/plans?country=JP')).body.items as Array<{
      id: string;
      code: string;
      price: { amount: number };
    }>;
    const current = plans.find((p) => p.code === 'jp-5gb-7d')!;
    const bigger = plans.find((p) => p.code === 'jp-20gb-30d')!;
    const quote = await api(t, 'GET', `/api/v1/me/lines/${lineId}/plan-change?planId=${bigger.id}`, {
      headers: sub.headers,
    });
    expect(quote.status).toBe(200);
    expect(quote.body.credit.amount).toBeGreaterThan(0);
    expect(quote.body.credit.amount).toBeLessThanOrEqual(current.price.amount);
    expect(quote.body.toPay.amount).toBe(bigger.price.amount - quote.body.credit.amount);

    const before = await balanceOf(t, sub);
    const changed = await api(t, 'POST', `/api/v1/me/lines/${lineId}/plan-change`, {
      body: { planId: bigger.id },
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(changed.status).toBe(201);
    expect(await balanceOf(t, sub)).toBe(before - changed.body.toPay.amount);
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: sub.headers })).body;
    expect(line).toMatchObject({ planId: bigger.id, status: 'active' });
    expect(line.allowances.dataBytes).toBe(20 * 1024 ** 3);
    expect(line.allowances.total.dataBytes).toBe(20 * 1024 ** 3);

    expect(
      (
        await api(t, 'GET', `/api/v1/me/lines/${lineId}/plan-change?planId=${bigger.id}`, {
          headers: sub.headers,
        })
      ).status,
    ).toBe(409);
    const pending = await api(t, 'GET', `/api/v1/me/lines/${europeLineId}/plan-change?planId=${bigger.id}`, {
      headers: sub.headers,
    });
    expect(pending.body).toMatchObject({ code: 'LINE_NOT_ACTIVE' });
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('lets admins create, edit and retire add-ons', async () => {
    const admin = await (await import('./helpers/session.js')).signInStaff(
      t,
      'addons@operator.example.com',
      'admin',
    );
    const body = {
      code: 'data-10gb',
      names: { en: 'Extra 10 GB', 'zh-CN': '加量 10GB' },
      dataMb: 10240,
      voiceMinutes: 0,
      sms: 0,
      price: { amount: 8000, currency: 'CNY' },
    };
    const created = await api(t, 'POST', '/api/v1/staff/addons', { body, headers: admin.headers });
    expect(created).toMatchObject({ status: 201, body: { code: 'data-10gb', price: { amount: 8000 } } });
    expect((await api(t, 'POST', '/api/v1/staff/addons', { body, headers: admin.headers })).status).toBe(409);
    const edited = await api(t, 'PUT', `/api/v1/staff/addons/${created.body.id}`, {
      body: { ...body, price: { amount: 7000, currency: 'CNY' } },
      headers: admin.headers,
    });
    expect(edited.body.price.amount).toBe(7000);
    expect((await api(t, 'POST', '/api/v1/staff/addons', { body, headers: sub.headers })).status).toBe(403);
    await api(t, 'POST', `/api/v1/staff/addons/${created.body.id}/retire`, { headers: admin.headers });
    const offered = (await api(t, 'GET', '/api/v1/addons')).body.items.map((a: { code: string }) => a.code);
    expect(offered).not.toContain('data-10gb');
  });
});

const GB = 1024 ** 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The issue 17 leak: a plan change credited the unused time of the old plan and ignored the data used,
// so using a plan's data, changing plan and changing back gave the data again for next to nothing.
describeEachDialect('plan change prices what was used', (dialect) => {
  const clock = new ManualClock('2026-12-01T00:00:00.000Z');
  let t: TestApp;
  let seq = 0;
  let plans: Record<string, { id: string; price: { amount: number } }>;

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock, env: { CURRENCY: 'CNY', TOPUP_MAX_MINOR: '1000000' } });
    await t.ctx.catalog.seedDemo();
    await t.ctx.lineExtras.seedDemoAddons();
    const items = (await api(t, 'GET', '/api/v1/plans')).body.items as Array<{
      id: string;
      code: string;
      price: { amount: number };
    }>;
    plans = Object.fromEntries(items.map((p) => [p.code, p]));
  });
  afterAll(() => t.close());

  /** A subscriber with an active Japan 5 GB · 7 days line (39.00, activated now). */
  async function subscriber(name: string) {
    clock.advance(16 * 60_000); // past the per-address sign-in limit's window
    const { session, lineId, iccid } = await activeLine(t, `${name}.${dialect}@example.com`, {
      topUp: 100_000,
    });
    const use = async (type: 'data' | 'voice' | 'sms', amount: number) => {
      const result = await t.ctx.usage.ingest([
        {
          id: `pc-${dialect}-${++seq}`,
          iccid,
          type,
          // A call ends before now (mediation refuses records that end in the future).
          startedAt: new Date(
            clock.now().getTime() - (type === 'voice' ? amount * 1000 : 0) - 1000,
          ).toISOString(),
          country: 'JP',
          ...(type === 'data' ? { bytes: amount } : {}),
          ...(type === 'voice' ? { durationSeconds: amount } : {}),
          ...(type === 'sms' ? { direction: 'out' } : {}),
        },
      ]);
      expect(result).toMatchObject({ accepted: 1, rejected: [], held: [] });
    };
    const quote = (code: string) =>
      api(t, 'GET', `/api/v1/me/lines/${lineId}/plan-change?planId=${plans[code]!.id}`, {
        headers: session.headers,
      });
    const change = (code: string, extra: Record<string, unknown> = {}) =>
      api(t, 'POST', `/api/v1/me/lines/${lineId}/plan-change`, {
        body: { planId: plans[code]!.id, ...extra },
        headers: { ...session.headers, 'idempotency-key': newKey() },
      });
    const line = async () =>
      (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    return { session, lineId, use, quote, change, line };
  }

  it('gives no fresh data for free: use the data, change plan and change back, and the data is paid again', async () => {
    const s = await subscriber('roundtrip');
    const a = plans['jp-5gb-7d']!.price.amount;
    const c = plans['hk-3gb-5d']!.price.amount;
    const start = await balanceOf(t, s.session);
    clock.advance(HOUR);
    await s.use('data', 5 * GB);

    const away = await s.quote('hk-3gb-5d');
    expect(away.body).toMatchObject({
      paid: { amount: a },
      used: { share: 1, by: 'data', data: 1 },
      credit: { amount: 0 },
      toPay: { amount: c },
    });
    expect((await s.change('hk-3gb-5d')).status).toBe(201);
    const back = await s.change('jp-5gb-7d');
    expect(back.status).toBe(201);
    // The cheaper plan is unused, so all of it is credited; the 5 GB plan is paid in full again.
    expect(back.body).toMatchObject({ credit: { amount: c }, toPay: { amount: a - c } });
    expect(start - (await balanceOf(t, s.session))).toBe(a);

    const line = await s.line();
    expect(line.allowances.dataBytes).toBe(5 * GB);
    expect(line.expiresAt).toBe(new Date(clock.now().getTime() + 7 * DAY).toISOString());
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('never extends validity without paying for it: a round trip late in the plan pays for the days used', async () => {
    const s = await subscriber('validity');
    const a = plans['jp-5gb-7d']!.price.amount;
    const start = await balanceOf(t, s.session);
    const expiresAt = (await s.line()).expiresAt;
    clock.advance(6 * DAY - 30 * 60_000); // 144 started hours of 168; a little data used too
    await s.use('data', GB);

    const away = await s.quote('hk-3gb-5d');
    const credit = Math.floor((a * 24) / 168);
    expect(away.body).toMatchObject({
      used: { by: 'time', share: 0.8571, data: 0.2 },
      credit: { amount: credit },
    });
    expect((await s.change('hk-3gb-5d')).status).toBe(201);
    expect((await s.change('jp-5gb-7d')).status).toBe(201);
    // Six days kept cost six days: the same as letting the plan run out and buying it again.
    expect(start - (await balanceOf(t, s.session))).toBe(a - credit);
    const after = await s.line();
    expect(Date.parse(after.expiresAt)).toBe(clock.now().getTime() + 7 * DAY);
    expect(Date.parse(after.expiresAt) - Date.parse(expiresAt)).toBeLessThan(6 * DAY);
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('counts data against the plan before its add-ons, and minutes and SMS like data', async () => {
    const s = await subscriber('measures');
    expect((await s.change('jp-20gb-30d')).status).toBe(201);
    const addon = (await api(t, 'GET', '/api/v1/addons')).body.items.find(
      (x: { code: string }) => x.code === 'data-5gb',
    );
    clock.advance(60_000);
    const bought = await api(t, 'POST', `/api/v1/me/lines/${s.lineId}/addons`, {
      body: { addonId: addon.id },
      headers: { ...s.session.headers, 'idempotency-key': newKey() },
    });
    expect(bought.status).toBe(201);
    clock.advance(2 * HOUR); // three started hours of 720, by the time the calls below have ended
    await s.use('data', 5 * GB); // a quarter of the plan's 20 GB, though a fifth of the 25 GB pool
    await s.use('voice', 50 * 60); // half of the 100 minutes
    for (let i = 0; i < 10; i++) await s.use('sms', 1); // a fifth of the 50 SMS
    const quote = await s.quote('jp-5gb-7d');
    expect(quote.body.used).toEqual({
      share: 0.5,
      by: 'voice',
      time: 0.0042,
      data: 0.25,
      voice: 0.5,
      sms: 0.2,
    });
    expect(quote.body.credit.amount).toBe(Math.floor(plans['jp-20gb-30d']!.price.amount / 2));
  });

  it('caps the credit at what the plan was paid and never pays a credit out', async () => {
    const s = await subscriber('capped');
    const a = plans['jp-5gb-7d']!.price.amount;
    const admin = await signInStaff(t, `pricing.${dialect}@operator.example.com`, 'admin');
    const plan = (await api(t, 'GET', `/api/v1/plans/${plans['jp-5gb-7d']!.id}`)).body;
    const reprice = (amount: number) =>
      api(t, 'PUT', `/api/v1/staff/plans/${plan.id}`, {
        body: {
          code: plan.code,
          names: { en: 'Japan 5 GB · 7 days', 'zh-CN': '日本 5GB · 7天' },
          countries: plan.countries,
          dataMb: plan.dataMb,
          voiceMinutes: plan.voiceMinutes,
          sms: plan.sms,
          validityDays: plan.validityDays,
          price: { amount, currency: 'CNY' },
        },
        headers: admin.headers,
      });
    const raised = await reprice(a * 10);
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    try {
      // Nothing used, yet the credit is what was paid (39.00), not today's list price.
      const up = await s.quote('jp-20gb-30d');
      expect(up.body).toMatchObject({
        paid: { amount: a },
        credit: { amount: a },
        used: { share: 0, by: null },
      });
      // To a cheaper plan: the new plan is covered; the rest of the credit is shown as forfeited.
      const before = await balanceOf(t, s.session);
      const down = await s.change('hk-3gb-5d');
      const c = plans['hk-3gb-5d']!.price.amount;
      expect(down.body).toMatchObject({
        credit: { amount: a },
        toPay: { amount: 0 },
        creditForfeited: { amount: a - c },
      });
      expect(await balanceOf(t, s.session)).toBe(before);
      expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
    } finally {
      await reprice(a);
    }
  });

  it('charges exactly the quote, and refuses with QUOTE_CHANGED when the price went up since', async () => {
    const s = await subscriber('quoted');
    clock.advance(2 * HOUR);
    await s.use('data', 2 * GB);
    const quote = await s.quote('jp-20gb-30d');
    expect(quote.status).toBe(200);

    await s.use('data', GB); // usage arrives between the quote and the confirmation
    const before = await balanceOf(t, s.session);
    const refused = await s.change('jp-20gb-30d', { maxToPay: quote.body.toPay.amount });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'QUOTE_CHANGED', details: { field: 'maxToPay' } });
    expect(refused.body.details.toPay.amount).toBeGreaterThan(quote.body.toPay.amount);
    expect(await balanceOf(t, s.session)).toBe(before);

    const requote = await s.quote('jp-20gb-30d');
    const changed = await s.change('jp-20gb-30d', { maxToPay: requote.body.toPay.amount });
    expect(changed.status).toBe(201);
    expect(changed.body).toEqual(requote.body);
    expect(before - (await balanceOf(t, s.session))).toBe(requote.body.toPay.amount);
    const postings = await t.ctx.database.db
      .selectFrom('ledger_postings')
      .select(['amount', 'kind'])
      .where('reference_type', '=', 'plan_change')
      .where('reference_id', '=', s.lineId)
      .execute();
    expect(postings.map((p) => [Number(p.amount), p.kind])).toEqual([
      [requote.body.toPay.amount, 'purchase'],
    ]);

    const bad = await s.change('jp-5gb-7d', { maxToPay: -1 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('maxToPay');
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });
});
