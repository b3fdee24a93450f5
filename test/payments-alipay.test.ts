import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { paymentSteps } from './helpers/payments.js';
import { api, balanceOf, newKey, type Session, signIn } from './helpers/session.js';
import { type AlipayPeer, alipayKeys, beijing, startAlipayPeer } from './peers/alipay-peer.js';

const APP_ID = '2021000000000001';
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const keys = alipayKeys();
let keyDir: string;
beforeAll(() => {
  keyDir = mkdtempSync(join(tmpdir(), 'alipay-keys-'));
  writeFileSync(join(keyDir, 'app-private.pem'), keys.app.privateKey);
  writeFileSync(join(keyDir, 'alipay-public.pem'), keys.gateway.publicKey);
});
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

describeEachDialect('payments: the Alipay adapter against a local Alipay gateway peer', (dialect) => {
  let t: TestApp;
  let peer: AlipayPeer;
  let clock: ManualClock;
  let alice: Session;
  beforeEach(async () => {
    clock = new ManualClock(new Date());
    peer = await startAlipayPeer({
      appId: APP_ID,
      appPublicKey: keys.app.publicKey,
      gatewayPrivateKey: keys.gateway.privateKey,
      clock,
    });
    t = await startTestApp(dialect, {
      clock,
      env: {
        CURRENCY: 'CNY',
        PAYMENT_PROVIDER: 'alipay',
        ALIPAY_APP_ID: APP_ID,
        ALIPAY_PRIVATE_KEY_FILE: join(keyDir, 'app-private.pem'),
        ALIPAY_PUBLIC_KEY_FILE: join(keyDir, 'alipay-public.pem'),
        ALIPAY_GATEWAY: peer.gateway,
      },
    });
    peer.state.appUrl = t.url;
    alice = await signIn(t, 'alice@example.com');
  });
  afterEach(async () => {
    await t.close();
    await peer.close();
  });

  const topUp = (amount: number, key = newKey(), userAgent?: string) =>
    api(t, 'POST', '/api/v1/me/topups', {
      body: { amount: { amount, currency: 'CNY' } },
      headers: {
        ...alice.headers,
        'idempotency-key': key,
        ...(userAgent ? { 'user-agent': userAgent } : {}),
      },
    });
  const { topupOf, verify, reconcileNow, refund, refundRow } = paymentSteps(() => ({ t, who: alice, clock }));
  const db = () => t.ctx.database.db;
  const notifyUrl = () => `${t.ctx.config.publicUrl}/api/v1/payments/webhooks/alipay`;

  /** Top-ups opened on the hosted page and paid there. */
  async function paid(...amounts: number[]) {
    const ids: string[] = [];
    for (const amount of amounts) {
      const res = await topUp(amount);
      expect((await peer.open(res.body.redirectUrl)).status).toBe(200);
      await peer.press(res.body.id);
      ids.push(res.body.id);
    }
    return ids;
  }
  const mismatches = () =>
    db()
      .selectFrom('audit_log')
      .select(['action', 'subject_id'])
      .where('action', 'like', '%.amount_mismatch')
      .execute();

  it('hands out a signed page.pay URL on desktops and wap.pay on phones, and credits once when paid there', async () => {
    const key = newKey();
    const res = await topUp(12_345, key);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', amount: { amount: 12_345, currency: 'CNY' } });
    expect(res.body.redirectUrl.startsWith(`${peer.gateway}?`)).toBe(true);
    const page = await peer.open(res.body.redirectUrl);
    expect(page.status).toBe(200);
    expect(page.html).toContain('¥123.45');
    const opened = peer.requests.at(-1)!;
    expect(opened).toMatchObject({
      method: 'alipay.trade.page.pay',
      signed: true,
      params: {
        app_id: APP_ID,
        sign_type: 'RSA2',
        charset: 'utf-8',
        notify_url: notifyUrl(),
        return_url: `${t.ctx.config.publicUrl}/wallet?topup=${res.body.id}`,
        timestamp: beijing(clock.now()),
      },
      biz: {
        out_trade_no: res.body.id,
        total_amount: '123.45',
        product_code: 'FAST_INSTANT_TRADE_PAY',
        time_expire: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      },
    });
    // Asked again with the same key: the same payment and trade, no second one.
    const again = await topUp(12_345, key);
    expect(again.body.id).toBe(res.body.id);
    await peer.open(again.body.redirectUrl);
    expect(peer.trades.size).toBe(1);

    const back = new URL(await peer.press(res.body.id));
    expect(`${back.origin}${back.pathname}`).toBe(`${t.url}/wallet`);
    expect(back.searchParams.get('topup')).toBe(res.body.id);
    expect(back.searchParams.get('method')).toBe('alipay.trade.page.pay.return');
    expect(peer.failed).toEqual([]); // the notification was answered "success"
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(12_345);
    const payment = await db()
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(payment.provider_ref).toBe(peer.trades.get(res.body.id)!.tradeNo);

    const phone = await topUp(800, newKey(), PHONE_UA);
    await peer.open(phone.body.redirectUrl);
    expect(peer.requests.at(-1)).toMatchObject({
      method: 'alipay.trade.wap.pay',
      signed: true,
      biz: {
        out_trade_no: phone.body.id,
        total_amount: '8.00',
        product_code: 'QUICK_WAP_WAY',
        quit_url: expect.any(String),
      },
    });
    await peer.press(phone.body.id);
    expect(await balanceOf(t, alice)).toBe(13_145);
    await verify();
  });

  it('stamps its calls in Beijing time whatever the server’s time zone (the SDK would use the local one)', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles'; // sixteen hours behind Beijing
    try {
      expect(new Date(clock.now()).getTimezoneOffset()).toBeGreaterThan(0);
      const res = await topUp(2_000);
      expect((await peer.open(res.body.redirectUrl)).status).toBe(200);
      // Opened, not paid yet: a lookup goes through the gateway's API, which refuses a timestamp off by more than 15 minutes.
      expect(await reconcileNow()).toBe(0);
      const lookups = peer.requests.filter((r) => r.method === 'alipay.trade.query');
      expect(lookups.length).toBeGreaterThan(0);
      expect(lookups.every((r) => r.signed && r.params.timestamp === beijing(clock.now()))).toBe(true);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('fails a top-up whose trade closed unpaid, whose page expired, or that was never opened', async () => {
    const cancelled = await topUp(1_000);
    await peer.open(cancelled.body.redirectUrl);
    await peer.press(cancelled.body.id, 'cancel');
    expect(await topupOf(cancelled.body.id)).toMatchObject({ status: 'failed' });

    // Opened, left unpaid past time_expire (30 minutes): the gateway closes it and says so.
    const expired = await topUp(2_000);
    await peer.open(expired.body.redirectUrl);
    const never = await topUp(3_000);
    expect(await reconcileNow()).toBe(0); // both still payable: pending, and unknown to Alipay
    clock.advance(31 * 60 * 1000);
    // Asked about the expired trade, the gateway closes it; its TRADE_CLOSED notification settles it.
    await reconcileNow();
    expect(await topupOf(expired.body.id)).toMatchObject({ status: 'failed' });
    expect(await topupOf(never.body.id)).toMatchObject({ status: 'pending' });
    clock.advance(10 * 60 * 1000); // the page and its margin are over: a trade never opened cannot be paid
    expect(await reconcileNow()).toBe(1);
    expect(await topupOf(never.body.id)).toMatchObject({ status: 'failed' });
    // The page can no longer be paid either.
    expect((await peer.open(never.body.redirectUrl)).html).toContain('TRADE_CLOSED');
    expect(await balanceOf(t, alice)).toBe(0);
    await verify();
  });

  it('applies duplicated, delayed and reordered notifications once, and refuses forged, stale and mismatched ones', async () => {
    peer.state.notifications = 'hold';
    const res = await topUp(4_000);
    await peer.open(res.body.redirectUrl);
    await peer.press(res.body.id);
    const [succeeded] = peer.held;
    expect(succeeded!.params.trade_status).toBe('TRADE_SUCCESS');

    // Signed with a key that is not the gateway's; sent for another app; older than 26 hours; tampered.
    expect(await peer.post(succeeded!, { privateKey: keys.app.privateKey })).toMatchObject({ status: 401 });
    expect(await peer.post(succeeded!, { change: { app_id: '2021000000000999' } })).toMatchObject({
      status: 401,
    });
    const stale = await peer.post(succeeded!, { ageSeconds: 27 * 3600 });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.body)).toMatchObject({ code: 'WEBHOOK_EXPIRED' });
    const forgedBody = new URLSearchParams({
      ...succeeded!.params,
      notify_time: '2030-01-01 00:00:00',
      sign: 'AAAA',
    });
    const unsigned = await fetch(`${t.url}/api/v1/payments/webhooks/alipay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: forgedBody.toString(),
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'INVALID_SIGNATURE' });
    // Alipay itself names another amount: refused, on the account's trail for staff.
    const mismatch = await peer.post(succeeded!, { change: { total_amount: '4000.00' } });
    expect(mismatch.status).toBe(400);
    expect(JSON.parse(mismatch.body)).toMatchObject({ code: 'AMOUNT_MISMATCH' });
    expect(await mismatches()).toEqual([{ action: 'payment.amount_mismatch', subject_id: res.body.id }]);
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'pending' });
    expect(await balanceOf(t, alice)).toBe(0);

    // Delayed a day (within Alipay's retry window), then redelivered with the same notify_id.
    clock.advance(24 * 3600 * 1000);
    expect(await peer.post(succeeded!)).toEqual({ status: 200, body: 'success' });
    expect(await peer.post(succeeded!)).toEqual({ status: 200, body: 'success' });
    expect(await balanceOf(t, alice)).toBe(4_000);
    const events = await db()
      .selectFrom('payment_events')
      .selectAll()
      .where('object_id', '=', res.body.id)
      .execute();
    expect(events.map((e) => [e.event_id, e.outcome])).toEqual([[succeeded!.params.notify_id, 'applied']]);

    // Wholly refunded: Alipay closes the trade and says so; that TRADE_CLOSED arrives before a late
    // TRADE_SUCCESS of the same trade, and neither changes the settled payment or refund.
    const id = await refund(4_000);
    await t.ctx.runner.drain();
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded' });
    const closed = peer.held.at(-1)!;
    expect(closed.params).toMatchObject({ trade_status: 'TRADE_CLOSED', refund_fee: '40.00' });
    expect(await peer.post(closed)).toEqual({ status: 200, body: 'success' });
    expect(
      await peer.post({ ...succeeded!, params: { ...succeeded!.params, notify_id: 'late-copy' } }),
    ).toEqual({
      status: 200,
      body: 'success',
    });
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(0);
    expect(await mismatches()).toHaveLength(1);
    await verify();
  });

  it('keeps a notification the app could not take, and credits once when Alipay retries it', async () => {
    const res = await topUp(2_500);
    await peer.open(res.body.redirectUrl);
    peer.state.appUrl = 'http://127.0.0.1:9'; // the app cannot be reached
    await peer.press(res.body.id);
    expect(peer.failed).toHaveLength(1);
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'pending' });
    peer.state.appUrl = t.url;
    expect(await peer.retryFailed()).toBe(0);
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(2_500);
  });

  it('refunds across two trades, one alipay.trade.refund each keyed by out_request_no; a repeat moves nothing', async () => {
    const [first, second] = await paid(3_000, 2_000);
    const id = await refund(4_000);
    await t.ctx.runner.drain();
    const sent = peer.requests.filter((r) => r.method === 'alipay.trade.refund');
    expect(sent.every((r) => r.signed)).toBe(true);
    const newest = [first!, second!].sort().at(-1)!;
    const oldest = newest === first ? second! : first!;
    const paidAmount = new Map([
      [first!, 3_000],
      [second!, 2_000],
    ]);
    const yuan = (fen: number) => (fen / 100).toFixed(2);
    const requestNo = (paymentId: string) => `${id}-${paymentId.replace(/^pay_/, '')}`;
    expect(sent.map((r) => [r.biz.out_trade_no, r.biz.refund_amount, r.biz.out_request_no]).sort()).toEqual(
      [
        [newest, yuan(paidAmount.get(newest)!), requestNo(newest)],
        [oldest, yuan(4_000 - paidAmount.get(newest)!), requestNo(oldest)],
      ].sort(),
    );
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(1_000);

    // The runner asks again (its answer was lost): Alipay moves nothing, the outcome is not applied twice.
    const row = await refundRow(id);
    const allocations = await db()
      .selectFrom('refund_allocations')
      .selectAll()
      .where('refund_id', '=', id)
      .execute();
    await t.ctx.payments.provider.refund({
      refundId: id,
      amount: 4_000,
      currency: 'CNY',
      payments: allocations.map((a) => ({
        paymentId: a.payment_id,
        providerRef: '',
        amount: Number(a.amount),
      })),
    });
    expect(peer.trades.get(newest)!.refunded + peer.trades.get(oldest)!.refunded).toBe(4_000);
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded', provider_ref: row.provider_ref });
    expect(await balanceOf(t, alice)).toBe(1_000);
    await verify();
  });

  it('gives a refused refund back to the wallet, and of one refused in part only what did not go out', async () => {
    await paid(3_000);
    peer.state.refunds = 'refused';
    const refused = await refund(3_000);
    await t.ctx.runner.drain();
    expect(await refundRow(refused)).toMatchObject({
      status: 'failed',
      failure: 'ACQ.SELLER_BALANCE_NOT_ENOUGH',
    });
    expect(await balanceOf(t, alice)).toBe(3_000);
    const refundable = await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: alice.headers });
    expect(refundable.body.refundable.amount).toBe(3_000);

    peer.state.refunds = 'succeeded';
    clock.advance(1000);
    const [newer] = await paid(2_000);
    peer.state.refusing.add(
      (await db().selectFrom('payments').select('id').where('id', '!=', newer!).executeTakeFirstOrThrow()).id,
    );
    const partial = await refund(4_000); // 2000 from the newer trade (goes out), 2000 from the older (refused)
    await t.ctx.runner.drain();
    expect(await refundRow(partial)).toMatchObject({ status: 'failed' });
    expect(peer.trades.get(newer!)!.refunded).toBe(2_000);
    expect(await balanceOf(t, alice)).toBe(3_000);
    const after = await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: alice.headers });
    expect(after.body.refundable.amount).toBe(3_000);
    await verify();
  });

  it('settles from Alipay’s record when notifications are lost or the gateway is down; refunds retry and settle late', async () => {
    peer.state.notifications = 'hold';
    const res = await topUp(6_000);
    await peer.open(res.body.redirectUrl);
    await peer.press(res.body.id);
    peer.state.down = true;
    expect(await reconcileNow()).toBe(0); // the gateway cannot be asked: stays pending
    peer.state.down = false;
    expect(await reconcileNow()).toBe(1);
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await peer.post(peer.held[0]!)).toEqual({ status: 200, body: 'success' }); // changes nothing
    expect(await balanceOf(t, alice)).toBe(6_000);

    peer.state.down = true;
    const id = await refund(1_000);
    await t.ctx.runner.drain();
    expect(await refundRow(id)).toMatchObject({ status: 'pending' });
    peer.state.down = false;
    peer.state.refunds = 'system_error';
    clock.advance(60 * 60 * 1000);
    await t.ctx.runner.drain();
    expect(await refundRow(id)).toMatchObject({ status: 'pending' });
    // Accepted but still in progress (fund_change N): pending until the refund query says it went through.
    peer.state.refunds = 'pending';
    clock.advance(2 * 60 * 60 * 1000);
    await t.ctx.runner.drain();
    expect(await refundRow(id)).toMatchObject({ status: 'pending' });
    expect(await reconcileNow()).toBe(0);
    const [part] = [...peer.refunds.values()];
    await peer.completeRefund(part!.outTradeNo, part!.outRequestNo);
    expect(await reconcileNow()).toBe(1);
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(5_000);
    await verify();
  });

  it('is a gateway that checks signatures both ways: a wrongly signed call is refused, a wrongly signed answer fails the SDK', async () => {
    const other = alipayKeys().app;
    const wrongApp = new AlipaySdk({
      appId: APP_ID,
      privateKey: other.privateKey,
      alipayPublicKey: keys.gateway.publicKey,
      gateway: peer.gateway,
    });
    const refused = await wrongApp.exec(
      'alipay.trade.query',
      { bizContent: { out_trade_no: 'pay_x' } },
      { validateSign: true },
    );
    expect(refused).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' });
    const wrongGateway = new AlipaySdk({
      appId: APP_ID,
      privateKey: keys.app.privateKey,
      alipayPublicKey: other.publicKey,
      gateway: peer.gateway,
    });
    await expect(
      wrongGateway.exec(
        'alipay.trade.query',
        { bizContent: { out_trade_no: 'pay_x' } },
        { validateSign: true },
      ),
    ).rejects.toThrow(/验签失败/);
  });
});
