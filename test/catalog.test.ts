import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_PLANS } from '../src/modules/catalog/demo-catalog.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, type Session, signIn, signInStaff } from './helpers/session.js';

describeEachDialect('catalog', (dialect) => {
  let t: TestApp;
  let admin: Session;
  let subscriber: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    expect(await t.ctx.catalog.seedDemo()).toBe(DEMO_PLANS.length);
    expect(await t.ctx.catalog.seedDemo()).toBe(0);
    admin = await signInStaff(t, 'catalog-admin@operator.example.com', 'admin');
    subscriber = await signIn(t, 'shopper@example.com');
  });
  afterAll(() => t.close());

  const plan = (code: string, price = 4900) => ({
    code,
    names: { en: 'Iceland 5 GB', 'zh-CN': '冰岛 5GB' },
    countries: ['is'],
    dataMb: 5120,
    voiceMinutes: 0,
    sms: 0,
    validityDays: 10,
    price: { amount: price, currency: 'CNY' },
  });

  it('lists plans for a country, regional ones included, with names in the caller language', async () => {
    const jp = await api(t, 'GET', '/api/v1/plans?country=jp');
    expect(jp.status).toBe(200);
    expect(jp.body.nextCursor).toBeNull();
    const codes = jp.body.items.map((p: { code: string }) => p.code);
    expect(codes).toEqual(expect.arrayContaining(['jp-5gb-7d', 'jp-20gb-30d', 'asia-10gb-15d']));
    expect(codes).not.toContain('europe-15gb-30d');
    const first = jp.body.items[0];
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining([
        'id',
        'name',
        'countries',
        'dataMb',
        'voiceMinutes',
        'sms',
        'validityDays',
        'price',
      ]),
    );
    expect(first.price).toEqual({ amount: 3900, currency: 'CNY' });
    const zh = await api(t, 'GET', '/api/v1/plans?country=JP', { headers: { 'accept-language': 'zh-CN' } });
    expect(zh.body.items[0].name).toBe('日本 5GB · 7天');
    expect(zh.body.items[0].countryNames).toEqual(['日本']);
    const all = await api(t, 'GET', '/api/v1/plans');
    expect(all.body.items).toHaveLength(DEMO_PLANS.length);
  });

  it('answers an unknown country with INVALID_COUNTRY and a country without plans with an empty list', async () => {
    expect(await api(t, 'GET', '/api/v1/plans?country=XX')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_COUNTRY', details: { field: 'country' } },
    });
    expect(await api(t, 'GET', '/api/v1/plans?country=japan')).toMatchObject({ status: 400 });
    expect((await api(t, 'GET', '/api/v1/plans?country=AQ')).body.items).toEqual([]);
    expect(await api(t, 'GET', '/api/v1/plans/pln_01NOTAPLANAAAAAAAAAAAAAAAA')).toMatchObject({
      status: 404,
      body: { code: 'PLAN_NOT_FOUND' },
    });
  });

  it('lets admins create, edit and retire plans — retired plans leave the offer but are never deleted', async () => {
    const created = await api(t, 'POST', '/api/v1/staff/plans', {
      body: plan('is-5gb-10d'),
      headers: admin.headers,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'is-5gb-10d', countries: ['IS'], status: 'active' });
    const id = created.body.id;
    expect(
      (await api(t, 'POST', '/api/v1/staff/plans', { body: plan('is-5gb-10d'), headers: admin.headers }))
        .status,
    ).toBe(409);
    const edited = await api(t, 'PUT', `/api/v1/staff/plans/${id}`, {
      body: plan('is-5gb-10d', 5900),
      headers: admin.headers,
    });
    expect(edited.body.price.amount).toBe(5900);
    const codesFor = async (country: string) =>
      (await api(t, 'GET', `/api/v1/plans?country=${country}`)).body.items.map(
        (p: { code: string }) => p.code,
      );
    expect(await codesFor('IS')).toEqual(['is-5gb-10d', 'europe-15gb-30d']);

    const retired = await api(t, 'POST', `/api/v1/staff/plans/${id}/retire`, { headers: admin.headers });
    expect(retired.body.status).toBe('retired');
    expect(await codesFor('IS')).toEqual(['europe-15gb-30d']);
    expect((await api(t, 'GET', `/api/v1/plans/${id}`)).body.status).toBe('retired');
    expect(
      await api(t, 'PUT', `/api/v1/staff/plans/${id}`, { body: plan('is-5gb-10d'), headers: admin.headers }),
    ).toMatchObject({
      status: 409,
      body: { code: 'PLAN_RETIRED' },
    });
    const trail = await api(t, 'GET', `/api/v1/staff/audit?subject=${id}`, { headers: admin.headers });
    expect(trail.body.items.map((i: { action: string }) => i.action)).toEqual([
      'plan.retired',
      'plan.updated',
      'plan.created',
    ]);
  });

  it('refuses bad plans and non-admins', async () => {
    const bad = await api(t, 'POST', '/api/v1/staff/plans', {
      body: { ...plan('x-bad'), countries: ['ZZ'] },
      headers: admin.headers,
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { code: 'INVALID_COUNTRY', details: { field: 'countries.0' } },
    });
    const usd = await api(t, 'POST', '/api/v1/staff/plans', {
      body: { ...plan('x-usd'), price: { amount: 100, currency: 'USD' } },
      headers: admin.headers,
    });
    expect(usd).toMatchObject({ status: 400, body: { code: 'CURRENCY_MISMATCH' } });
    const negative = await api(t, 'POST', '/api/v1/staff/plans', {
      body: { ...plan('x-neg'), dataMb: -1 },
      headers: admin.headers,
    });
    expect(negative).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', details: { field: 'dataMb' } },
    });
    expect(
      (await api(t, 'POST', '/api/v1/staff/plans', { body: plan('x-sub'), headers: subscriber.headers }))
        .status,
    ).toBe(403);
  });
});
