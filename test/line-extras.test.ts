import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { api, balanceOf, newKey, type Session, signIn, topUp } from './helpers/session.js';

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
    expect(names).toEqual(expect.arrayContaining(['NTT docomo', 'SoftBank']));
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
