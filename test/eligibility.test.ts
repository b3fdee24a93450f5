import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, newKey, signIn } from './helpers/session.js';

describeEachDialect('cancellation preflight', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
  });
  afterAll(() => t.close());

  it('lists balance, bound devices and money in flight as blockers until each is fixed', async () => {
    const { session } = await activeLine(t, 'leaving@example.com', { locale: 'zh-CN', topUp: 10_000 });
    await signIn(t, 'friend.of.leaver@example.com');
    const eligibility = async () =>
      (await api(t, 'GET', '/api/v1/me/cancellation/eligibility', { headers: session.headers })).body;

    const first = await eligibility();
    expect(first.eligible).toBe(false);
    expect(first.blockers.map((b: { code: string }) => b.code)).toEqual([
      'BALANCE_NOT_ZERO',
      'DEVICES_BOUND',
    ]);
    expect(first.blockers[0]).toMatchObject({
      fixAt: '/wallet',
      details: { wallet: { amount: 6100, currency: 'CNY' }, arrears: { amount: 0 } },
    });
    // Only the amount that is not zero is named (no "欠费 ¥0.00").
    expect(first.blockers[0].message).toMatch(/^余额必须为零：钱包中还有 ¥61\.00。/);
    expect(first.blockers[0].message).not.toContain('欠费');
    expect(first.blockers[1].details.devices).toHaveLength(1);

    t.ctx.payments.test!.setOutcome('refund', 'pending');
    await api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: 'friend.of.leaver@example.com', amount: 100 },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    });
    await api(t, 'POST', '/api/v1/me/refunds', {
      body: { amount: 6000 },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    });
    await t.ctx.runner.drain();
    expect((await eligibility()).blockers.map((b: { code: string }) => b.code)).toEqual([
      'DEVICES_BOUND',
      'PAYMENT_IN_FLIGHT',
    ]);

    const held = t.ctx.payments.test!.held().at(-1)!;
    await t.ctx.paymentWebhooks.handle('test', held.rawBody, held.signature);
    const [device] = (await api(t, 'GET', '/api/v1/me/devices', { headers: session.headers })).body.items;
    await api(t, 'DELETE', `/api/v1/me/devices/${device.id}`, { headers: session.headers });
    expect(await eligibility()).toEqual({ eligible: true, blockers: [] });
  });
});
