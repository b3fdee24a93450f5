import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import {
  STRIPE_API_VERSION,
  STRIPE_CHECKOUT_WINDOW_MS,
} from '../src/integrations/payments/stripe-provider.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { paymentSteps } from './helpers/payments.js';
import { api, balanceOf, newKey, type Session, signIn } from './helpers/session.js';
import { type StripePeer, startStripePeer } from './peers/stripe-peer.js';

const SECRET_KEY = 'sk_test_peer0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_peer0123456789abcdefghij';

describeEachDialect('payments: the Stripe adapter against a local Stripe peer', (dialect) => {
  let t: TestApp;
  let peer: StripePeer;
  let clock: ManualClock;
  let alice: Session;
  beforeEach(async () => {
    clock = new ManualClock(new Date());
    peer = await startStripePeer({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, clock });
    t = await startTestApp(dialect, {
      clock,
      env: {
        CURRENCY: 'CNY',
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_URL: peer.url,
        STRIPE_PAYMENT_METHODS: 'card,alipay,wechat_pay',
      },
    });
    peer.state.webhookUrl = `${t.url}/api/v1/payments/webhooks/stripe`;
    alice = await signIn(t, 'alice@example.com');
  });
  afterEach(async () => {
    await t.close();
    await peer.close();
  });

  const topUp = (amount: number, key = newKey()) =>
    api(t, 'POST', '/api/v1/me/topups', {
      body: { amount: { amount, currency: 'CNY' } },
      headers: { ...alice.headers, 'idempotency-key': key },
    });
  const { topupOf, verify, reconcileNow, refund, refundRow } = paymentSteps(() => ({ t, who: alice, clock }));
  const sessionOf = (redirectUrl: string) => redirectUrl.split('/').pop()!;
  const db = () => t.ctx.database.db;

  /** Two card top-ups paid on the hosted page. */
  async function paid(...amounts: number[]) {
    const ids: string[] = [];
    for (const amount of amounts) {
      const res = await topUp(amount);
      await peer.pay(sessionOf(res.body.redirectUrl));
      ids.push(res.body.id);
    }
    return ids;
  }

  it('sends the pinned API version’s fields, pays by card on the hosted page and credits once', async () => {
    const key = newKey();
    const res = await topUp(12_345, key);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', testMode: true, amount: { amount: 12_345 } });
    expect(res.body.redirectUrl).toMatch(new RegExp(`^${peer.url}/pay/cs_test_`));
    const sent = peer.requests.find((r) => r.path === '/v1/checkout/sessions')!;
    expect(sent.headers['stripe-version']).toBe(STRIPE_API_VERSION);
    expect(sent.headers['idempotency-key']).toBe(res.body.id);
    expect(sent.form).toMatchObject({
      mode: 'payment',
      client_reference_id: res.body.id,
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'cny',
      'line_items[0][price_data][unit_amount]': '12345',
      'allowed_payment_method_types[0]': 'card',
      'allowed_payment_method_types[1]': 'alipay',
      'allowed_payment_method_types[2]': 'wechat_pay',
      'payment_method_options[wechat_pay][client]': 'web',
      success_url: `${t.ctx.config.publicUrl}/wallet?topup=${res.body.id}`,
      // The hosted page takes payment for an hour after our payment was made.
      expires_at: String(Math.floor((Date.parse(res.body.createdAt) + STRIPE_CHECKOUT_WINDOW_MS) / 1000)),
    });
    // Asked again with the same key: the same hosted page, no second session.
    const again = await topUp(12_345, key);
    expect(again.body.redirectUrl).toBe(res.body.redirectUrl);
    expect(peer.sessions.size).toBe(1);

    await peer.pay(sessionOf(res.body.redirectUrl), 'card');
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(12_345);
    await verify();
  });

  it('settles an asynchronous method (Alipay, WeChat Pay through Stripe) later, and a failed one not at all', async () => {
    const later = await topUp(5_000);
    await peer.pay(sessionOf(later.body.redirectUrl), 'alipay');
    expect(await topupOf(later.body.id)).toMatchObject({ status: 'pending' });
    await peer.settleAsync(sessionOf(later.body.redirectUrl), 'succeeded');
    expect(await topupOf(later.body.id)).toMatchObject({ status: 'succeeded' });

    const declined = await topUp(7_000);
    await peer.pay(sessionOf(declined.body.redirectUrl), 'wechat_pay');
    await peer.settleAsync(sessionOf(declined.body.redirectUrl), 'failed');
    expect(await topupOf(declined.body.id)).toMatchObject({ status: 'failed' });

    const expired = await topUp(9_000);
    await peer.expire(sessionOf(expired.body.redirectUrl));
    expect(await topupOf(expired.body.id)).toMatchObject({ status: 'failed' });
    expect(await balanceOf(t, alice)).toBe(5_000);
    await verify();
  });

  it('applies duplicated and reordered webhooks once, and refuses forged, stale and tampered ones', async () => {
    peer.state.webhooks = 'hold';
    const res = await topUp(4_000);
    await peer.pay(sessionOf(res.body.redirectUrl), 'alipay');
    await peer.settleAsync(sessionOf(res.body.redirectUrl), 'succeeded');
    const [completed, succeeded] = peer.held;
    // Forged (another secret), stale (signed 10 minutes ago): refused, nothing credited.
    expect(await peer.forge(succeeded!)).toMatchObject({ status: 401, body: { code: 'INVALID_SIGNATURE' } });
    expect(await peer.post(succeeded!, 600)).toBe(401);
    expect(await balanceOf(t, alice)).toBe(0);
    // The later event first, then the earlier one, then the later one again.
    expect(await peer.post(succeeded!)).toBe(200);
    expect(await peer.post(completed!)).toBe(200);
    const replay = await fetch(peer.state.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': (await import('stripe')).default.webhooks.generateTestHeaderString({
          payload: succeeded!.payload,
          secret: WEBHOOK_SECRET,
          timestamp: Math.floor(clock.now().getTime() / 1000),
        }),
      },
      body: succeeded!.payload,
    });
    expect(await replay.json()).toEqual({ outcome: 'duplicate' });
    expect(await balanceOf(t, alice)).toBe(4_000);

    // An event whose amount differs from the payment's: refused and put on the account's trail for staff.
    const other = await topUp(3_000);
    await peer.pay(sessionOf(other.body.redirectUrl), 'card');
    const [, , tampered] = peer.held;
    const body = JSON.parse(tampered!.payload);
    body.data.object.amount_total = 300_000;
    const forgedAmount = { event: body, payload: JSON.stringify(body) };
    expect(await peer.post(forgedAmount)).toBe(400);
    const trail = await db()
      .selectFrom('audit_log')
      .select(['action', 'subject_id'])
      .where('action', '=', 'payment.amount_mismatch')
      .execute();
    expect(trail).toEqual([{ action: 'payment.amount_mismatch', subject_id: other.body.id }]);
    expect(await topupOf(other.body.id)).toMatchObject({ status: 'pending' });
    expect(await balanceOf(t, alice)).toBe(4_000);
    await verify();
  });

  it('refunds across two payments, one Stripe refund each with its own idempotency key', async () => {
    const [first, second] = await paid(3_000, 2_000);
    const id = await refund(4_000);
    await t.ctx.runner.drain();
    const sent = peer.requests.filter((r) => r.path === '/v1/refunds');
    // 3000 + 2000 paid, 4000 back: the newest payment in full, the rest from the other.
    const parts = sent.map((r) => [
      r.form['metadata[payment_id]'],
      r.form.amount,
      r.form['metadata[refund_id]'],
      r.headers['idempotency-key'],
    ]);
    const newest = [first!, second!].sort().at(-1)!;
    const oldest = newest === first ? second! : first!;
    const amounts = new Map([
      [first!, 3_000],
      [second!, 2_000],
    ]);
    expect(parts.sort()).toEqual(
      [
        [newest, String(amounts.get(newest)), id, `${id}-${newest}`],
        [oldest, String(4_000 - amounts.get(newest)!), id, `${id}-${oldest}`],
      ].sort(),
    );
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(1_000);
    await verify();
  });

  it('gives a refund that fails at Stripe (by webhook) back to the wallet', async () => {
    await paid(3_000);
    peer.state.refundOutcome = 'failed';
    const id = await refund(3_000);
    await t.ctx.runner.drain();
    await new Promise((resolve) => setImmediate(resolve)); // the peer's failure webhook follows its answer
    await expect.poll(async () => (await refundRow(id)).status).toBe('failed');
    expect(await balanceOf(t, alice)).toBe(3_000);
    const refundable = await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: alice.headers });
    expect(refundable.body.refundable.amount).toBe(3_000);
    await verify();
  });

  it('answers a refund webhook that outruns our record of the refund 409, and applies it when Stripe delivers it again', async () => {
    await paid(3_000);
    peer.state.refundOutcome = 'failed';
    peer.state.webhooks = 'hold';
    const id = await refund(3_000);
    await t.ctx.runner.drain();
    await expect.poll(() => peer.held.length).toBe(1);
    const [early] = peer.held;
    // As if Stripe's event had come while our submission was still recording Stripe's answer.
    const recorded = (await refundRow(id)).provider_ref;
    await db().updateTable('refunds').set({ provider_ref: null }).where('id', '=', id).execute();
    expect(await peer.post(early!)).toBe(409);
    expect(await refundRow(id)).toMatchObject({ status: 'pending' });
    await db().updateTable('refunds').set({ provider_ref: recorded }).where('id', '=', id).execute();
    expect(await peer.post(early!)).toBe(200);
    expect(await refundRow(id)).toMatchObject({ status: 'failed' });
    expect(await balanceOf(t, alice)).toBe(3_000);
    await verify();
  });

  it('answers 503 while Stripe is down, applies nothing, and works with the same key once it is back', async () => {
    peer.state.down = true;
    const key = newKey();
    const down = await topUp(2_500, key);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'PAYMENT_PROVIDER_UNAVAILABLE' });
    expect(await balanceOf(t, alice)).toBe(0);
    peer.state.down = false;
    const back = await topUp(2_500, key);
    expect(back.status).toBe(201);
    expect(back.body.redirectUrl).toMatch(/\/pay\/cs_test_/);
    const payments = await db().selectFrom('payments').select('id').execute();
    expect(payments).toHaveLength(1);
  });

  it('fails a top-up that never reached Stripe once its hosted page could no longer take money, and an unpaid page when it expires', async () => {
    peer.state.down = true;
    expect((await topUp(2_500)).status).toBe(503);
    peer.state.down = false;
    const [lost] = await db().selectFrom('payments').select('id').execute();
    const abandoned = await topUp(3_000);
    // Within the hour either might still be paid: nothing is decided.
    expect(await reconcileNow()).toBe(0);
    expect(await topupOf(lost!.id)).toMatchObject({ status: 'pending' });
    // The hour is over: Stripe expires the unpaid page (by webhook) and the lost one is failed by lookup.
    clock.advance(STRIPE_CHECKOUT_WINDOW_MS);
    await peer.expire(sessionOf(abandoned.body.redirectUrl));
    expect(await topupOf(abandoned.body.id)).toMatchObject({ status: 'failed' });
    expect(await reconcileNow()).toBe(0); // the lost one: not yet past the window and its margin
    clock.advance(10 * 60 * 1000);
    expect(await reconcileNow()).toBe(1);
    expect(await topupOf(lost!.id)).toMatchObject({ status: 'failed' });
    expect(await balanceOf(t, alice)).toBe(0);
    await verify();
  });

  it('settles an asynchronous payment whose webhook was lost from its payment intent: processing, failed, succeeded', async () => {
    peer.state.webhooks = 'hold';
    const declined = await topUp(7_000);
    const later = await topUp(5_000);
    await peer.pay(sessionOf(declined.body.redirectUrl), 'wechat_pay');
    await peer.pay(sessionOf(later.body.redirectUrl), 'alipay');
    expect(await reconcileNow()).toBe(0); // both still processing at the wallet's end
    await peer.settleAsync(sessionOf(declined.body.redirectUrl), 'failed');
    await peer.settleAsync(sessionOf(later.body.redirectUrl), 'succeeded');
    expect(await reconcileNow()).toBe(2);
    expect(await topupOf(declined.body.id)).toMatchObject({ status: 'failed' });
    expect(await topupOf(later.body.id)).toMatchObject({ status: 'succeeded' });
    expect(peer.requests.filter((r) => r.path.startsWith('/v1/payment_intents/')).length).toBeGreaterThan(0);
    // The webhooks, delivered at last, change nothing.
    for (const delivery of peer.held) expect(await peer.post(delivery)).toBe(200);
    expect(await balanceOf(t, alice)).toBe(5_000);
    await verify();
  });

  it('settles from Stripe’s record when webhooks are lost or Stripe was down, and retries a refund through the runner', async () => {
    peer.state.webhooks = 'hold';
    const res = await topUp(6_000);
    await peer.pay(sessionOf(res.body.redirectUrl), 'card');
    peer.state.down = true;
    expect(await reconcileNow()).toBe(0); // Stripe cannot be asked: stays pending
    peer.state.down = false;
    expect(await reconcileNow()).toBe(1);
    expect(await topupOf(res.body.id)).toMatchObject({ status: 'succeeded' });
    // The webhook, delivered at last, changes nothing.
    expect(await peer.post(peer.held[0]!)).toBe(200);
    expect(await balanceOf(t, alice)).toBe(6_000);

    peer.state.down = true;
    const id = await refund(1_000);
    await t.ctx.runner.drain();
    expect(await refundRow(id)).toMatchObject({ status: 'pending' });
    peer.state.down = false;
    clock.advance(60 * 60 * 1000); // the runner's retry is due
    await t.ctx.runner.drain();
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, alice)).toBe(5_000);
    await verify();
  });
});
