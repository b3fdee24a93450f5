import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createAppContext } from '../src/context.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase } from '../src/db/database.js';
import { signPayload } from '../src/integrations/payments/signature.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, balanceOf, newKey, type Session, signIn, signInStaff, topUp } from './helpers/session.js';

describeEachDialect('wallet: top-ups, transfers, refunds, statement', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  let alice: Session;
  let bob: Session;
  beforeEach(async () => {
    clock = new ManualClock('2026-06-01T08:00:00.000Z');
    t = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', TOPUP_MAX_MINOR: '50000', TOPUP_DAILY_MAX_MINOR: '80000' },
    });
    alice = await signIn(t, 'alice@example.com');
    bob = await signIn(t, '+8613800138001');
  });
  afterEach(() => t.close());

  const post = (session: Session, path: string, body: unknown, key: string | null = newKey()) =>
    api(t, 'POST', path, {
      body,
      headers: { ...session.headers, ...(key ? { 'idempotency-key': key } : {}) },
    });
  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const verify = () => t.ctx.ledger.verify(t.ctx.database.db);

  it('tops up through the test provider and shows it in the balance and statement', async () => {
    const res = await topUp(t, alice, 10_000);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'succeeded', amount: cny(10_000), testMode: true });
    expect(res.body.id).toMatch(/^pay_/);
    expect(await balanceOf(t, alice)).toBe(10_000);
    const statement = await api(t, 'GET', '/api/v1/me/ledger', { headers: alice.headers });
    expect(statement.body.items).toEqual([
      expect.objectContaining({
        kind: 'topup',
        amount: cny(10_000),
        balanceAfter: cny(10_000),
        reference: res.body.id,
      }),
    ]);
    await t.ctx.runner.drain();
    const mail = await api(t, 'GET', '/api/v1/dev/messages?to=alice@example.com');
    expect(mail.body.items[0].subject).toContain('100.00');
    expect(await verify()).toEqual([]);
  });

  it('replays the first answer for a repeated key and refuses a reused key or a missing one, on every money route', async () => {
    await topUp(t, alice, 20_000);
    const cases: Array<[string, unknown, unknown]> = [
      ['/api/v1/me/topups', { amount: cny(1000) }, { amount: cny(2000) }],
      [
        '/api/v1/me/transfers',
        { to: '+8613800138001', amount: cny(500) },
        { to: '+8613800138001', amount: cny(600) },
      ],
      ['/api/v1/me/refunds', { amount: cny(700) }, { amount: cny(800) }],
    ];
    for (const [path, body, other] of cases) {
      const key = newKey();
      const first = await post(alice, path, body, key);
      expect(first.status, path).toBe(201);
      const again = await post(alice, path, body, key);
      expect(again.status, path).toBe(201);
      expect(again.body, path).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const reused = await post(alice, path, other, key);
      expect(reused, path).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
      const missing = await post(alice, path, body, null);
      expect(missing, path).toMatchObject({ status: 400, body: { code: 'IDEMPOTENCY_KEY_REQUIRED' } });
    }
    // One of each happened, once.
    expect(await balanceOf(t, alice)).toBe(20_000 + 1000 - 500 - 700);
    expect(await balanceOf(t, bob)).toBe(500);
    expect(await verify()).toEqual([]);
  });

  it('scopes keys to the caller: another subscriber may use the same key', async () => {
    const key = newKey();
    expect((await topUp(t, alice, 1000, key)).status).toBe(201);
    expect((await topUp(t, bob, 1000, key)).status).toBe(201);
    expect(await balanceOf(t, bob)).toBe(1000);
  });

  it('refuses bad amounts with a 4xx naming the field and posts nothing', async () => {
    const bad: unknown[] = [
      cny(-5),
      cny(0),
      cny(1.5),
      { amount: '100', currency: 'CNY' },
      cny(1e15),
      { amount: 100, currency: 'USD' },
      -3,
      'lots',
      null,
    ];
    for (const amount of bad) {
      const res = await post(alice, '/api/v1/me/topups', { amount });
      expect(res.status, JSON.stringify(amount)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(amount)).toBeLessThan(500);
      expect(res.body.details.field, JSON.stringify(amount)).toMatch(/^amount/);
    }
    // A field the route does not know is refused, not ignored (it might be a misspelt one that matters).
    const extra = await post(alice, '/api/v1/me/topups', { amount: cny(100), currency: 'USD' });
    expect(extra.status).toBe(400);
    expect(extra.body.details.field).toBe('currency');
    expect((await post(alice, '/api/v1/me/topups', { amount: cny(100) })).status).toBe(201);
    expect((await post(alice, '/api/v1/me/topups', { amount: 250 })).body.amount).toEqual(cny(250));
    expect(await balanceOf(t, alice)).toBe(350);
  });

  it('enforces the per top-up and per day limits', async () => {
    const big = await topUp(t, alice, 50_001);
    expect(big).toMatchObject({
      status: 422,
      body: { code: 'TOPUP_LIMIT_EXCEEDED', details: { limit: 'per_topup' } },
    });
    expect((await topUp(t, alice, 50_000)).status).toBe(201);
    const daily = await topUp(t, alice, 30_001);
    expect(daily).toMatchObject({
      status: 422,
      body: { code: 'TOPUP_LIMIT_EXCEEDED', details: { limit: 'per_day' } },
    });
    clock.advance(24 * 60 * 60 * 1000 + 1);
    expect((await topUp(t, alice, 30_001)).status).toBe(201);
  });

  it('leaves a failed payment unposted and settles a pending one when its webhook arrives, once', async () => {
    const test = t.ctx.payments.test!;
    test.setOutcome('payment', 'fail');
    const failed = await topUp(t, alice, 3000);
    expect(failed.body.status).toBe('failed');
    expect(await balanceOf(t, alice)).toBe(0);

    test.setOutcome('payment', 'pending');
    const pending = await topUp(t, alice, 4000);
    expect(pending.body.status).toBe('pending');
    expect(await balanceOf(t, alice)).toBe(0);
    const status = await api(t, 'GET', `/api/v1/me/topups/${pending.body.id}`, { headers: alice.headers });
    expect(status.body.status).toBe('pending');

    const delivery = test.held()[0]!;
    const webhook = (raw: string, signature: string) =>
      api(t, 'POST', '/api/v1/payments/webhooks/test', {
        body: JSON.parse(raw),
        headers: { 'x-payment-signature': signature },
      });
    const applied = await fetch(`${t.url}/api/v1/payments/webhooks/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-payment-signature': delivery.signature },
      body: delivery.rawBody,
    });
    expect(await applied.json()).toEqual({ outcome: 'applied' });
    expect(await balanceOf(t, alice)).toBe(4000);
    const again = await webhook(delivery.rawBody, delivery.signature);
    expect(again.body).toEqual({ outcome: 'duplicate' });
    // A late, contradicting event for a settled payment changes nothing.
    const late = await test.resolveHeld(0, 'fail');
    expect((await webhook(late.rawBody, late.signature)).body).toEqual({ outcome: 'ignored' });
    expect(await balanceOf(t, alice)).toBe(4000);
    expect(await verify()).toEqual([]);
  });

  it('settles payments and refunds whose webhook was lost or came too late from the provider’s record, once', async () => {
    const test = t.ctx.payments.test!;
    const send = (d: { rawBody: string; signature: string }) =>
      fetch(`${t.url}/api/v1/payments/webhooks/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-payment-signature': d.signature },
        body: d.rawBody,
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    test.setOutcome('payment', 'lost');
    const topup = await topUp(t, alice, 5000);
    expect(topup.body.status).toBe('pending');
    // Not yet overdue: the recurring check leaves it alone.
    clock.advance(5 * 60_000);
    expect(await t.ctx.paymentWebhooks.reconcile(t.ctx.payments.provider)).toBe(0);
    expect(await balanceOf(t, alice)).toBe(0);

    // Overdue: the provider says it succeeded, and it is applied as the webhook would have been.
    clock.advance(6 * 60_000);
    expect(await t.ctx.paymentWebhooks.reconcile(t.ctx.payments.provider)).toBe(1);
    expect(await balanceOf(t, alice)).toBe(5000);
    expect(await t.ctx.paymentWebhooks.reconcile(t.ctx.payments.provider)).toBe(0);

    // The original webhook, finally delivered, is too old to be accepted; signed afresh, as a provider
    // signs each retry, it is the same event and changes nothing.
    const lostWebhook = test.lost()[0]!;
    expect(await send(lostWebhook)).toMatchObject({ status: 401, body: { code: 'WEBHOOK_EXPIRED' } });
    expect(await send(test.resign(lostWebhook))).toMatchObject({
      status: 200,
      body: { outcome: 'duplicate' },
    });
    expect(await balanceOf(t, alice)).toBe(5000);

    // The same for a refund: pending blocks nothing forever.
    test.setOutcome('refund', 'lost');
    const refund = await post(alice, '/api/v1/me/refunds', { amount: cny(2000) });
    expect(refund.body.status).toBe('pending');
    await t.ctx.runner.drain(); // the refund goes to the provider; its webhook is lost
    expect(await balanceOf(t, alice)).toBe(3000);
    clock.advance(11 * 60_000);
    expect(await t.ctx.paymentWebhooks.reconcile(t.ctx.payments.provider)).toBe(1);
    const refunds = await t.ctx.database.db.selectFrom('refunds').select('status').execute();
    expect(refunds.map((r) => r.status)).toEqual(['succeeded']);
    expect(await balanceOf(t, alice)).toBe(3000);
    await t.ctx.runner.drain();
    const mail = await api(t, 'GET', '/api/v1/dev/messages?to=alice@example.com');
    const subjects = mail.body.items.map((m: { subject: string }) => m.subject);
    expect(subjects.filter((s: string) => /top-up|topped up/i.test(s))).toHaveLength(1);
    expect(await verify()).toEqual([]);
  });

  it('settles a top-up and a refund whose webhooks were lost after a restart, from the provider’s own record, after the policy’s window', async () => {
    const admin = { type: 'system' as const, id: 'test' };
    await t.ctx.policies.update({ paymentReconcileMinutes: 30 }, { actor: admin });
    const test = t.ctx.payments.test!;
    await topUp(t, alice, 6000);
    test.setOutcome('payment', 'lost');
    test.setOutcome('refund', 'lost');
    const topup = await topUp(t, alice, 5000);
    expect(topup.body.status).toBe('pending');
    const refund = await post(alice, '/api/v1/me/refunds', { amount: cny(1000) });
    expect(refund.body.status).toBe('pending');
    await t.ctx.runner.drain(); // the refund reaches the provider; its webhook is lost too

    // A restart: a new process (context, provider, runner) on the same database; the old one is gone.
    const config = loadConfig({ ESIMDESK_MODE: 'demo', LOG_LEVEL: 'silent', CURRENCY: 'CNY' });
    const restarted = createAppContext(
      { ...config, database: t.db.config },
      {
        clock,
        logger: createLogger('silent'),
        database:
          dialect === 'postgres' ? openDatabase(t.db.config) : { ...t.ctx.database, close: async () => {} },
      },
    );
    try {
      const pendingIds = async () =>
        [
          ...(await restarted.database.db
            .selectFrom('payments')
            .select('id')
            .where('status', '=', 'pending')
            .execute()),
          ...(await restarted.database.db
            .selectFrom('refunds')
            .select('id')
            .where('status', '=', 'pending')
            .execute()),
        ].map((r) => r.id);
      expect((await pendingIds()).sort()).toEqual([topup.body.id, refund.body.id].sort());
      // Within the window the recurring check leaves them to their webhooks.
      clock.advance(29 * 60_000);
      await restarted.jobs.scheduleRecurring(restarted.database.db);
      await restarted.runner.drain();
      expect(await pendingIds()).toHaveLength(2);
      expect(await balanceOf(t, alice)).toBe(5000);
      // Past it, the next run asks the provider, which remembers both across the restart.
      clock.advance(2 * 60_000);
      await restarted.jobs.scheduleRecurring(restarted.database.db);
      await restarted.runner.drain();
      expect(await pendingIds()).toEqual([]);
      const payment = await restarted.database.db
        .selectFrom('payments')
        .select('status')
        .where('id', '=', topup.body.id)
        .executeTakeFirstOrThrow();
      expect(payment.status).toBe('succeeded');
      expect(await balanceOf(t, alice)).toBe(10_000);
      await restarted.runner.drain();
      const mail = await api(t, 'GET', '/api/v1/dev/messages?to=alice@example.com');
      const subjects: string[] = mail.body.items.map((m: { subject: string }) => m.subject);
      expect(subjects.filter((s) => /50\.00/.test(s))).toHaveLength(1);
      expect(subjects.filter((s) => /refund/i.test(s))).toHaveLength(1);
      // Asking again changes nothing.
      expect(await restarted.paymentWebhooks.reconcile(restarted.payments.provider)).toBe(0);
      expect(await verify()).toEqual([]);
    } finally {
      await restarted.runner.stop();
      await restarted.es2.close();
      if (dialect === 'postgres') await restarted.database.close();
    }
  });

  it('refuses forged, replayed, malformed and unknown webhooks', async () => {
    const secret = t.ctx.config.paymentWebhookSecret;
    const now = Math.floor(clock.now().getTime() / 1000);
    const event = (objectId: string) =>
      JSON.stringify({
        id: `evt_${objectId}`,
        type: 'payment.succeeded',
        data: { objectId, providerRef: 'x', amount: 100, currency: 'CNY' },
      });
    const send = (raw: string, signature: string) =>
      fetch(`${t.url}/api/v1/payments/webhooks/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-payment-signature': signature },
        body: raw,
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(await send(event('pay_1'), signPayload('wrong-secret', event('pay_1'), now))).toMatchObject({
      status: 401,
      body: { code: 'INVALID_SIGNATURE' },
    });
    expect(await send(event('pay_1'), 'garbage')).toMatchObject({
      status: 401,
      body: { code: 'INVALID_SIGNATURE' },
    });
    expect(await send(event('pay_1'), signPayload(secret, event('pay_1'), now - 301))).toMatchObject({
      status: 401,
      body: { code: 'WEBHOOK_EXPIRED' },
    });
    expect(
      await send(event('pay_01UNKNOWN'), signPayload(secret, event('pay_01UNKNOWN'), now)),
    ).toMatchObject({
      status: 404,
      body: { code: 'PAYMENT_NOT_FOUND' },
    });
    expect(await send('{"id":1}', signPayload(secret, '{"id":1}', now))).toMatchObject({ status: 400 });
    const count = await t.ctx.database.db
      .selectFrom('ledger_postings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('transfers to another active subscriber by phone or email, with both statements and both told', async () => {
    await topUp(t, alice, 10_000);
    const sent = await post(alice, '/api/v1/me/transfers', { to: '+86 138 0013 8001', amount: cny(2500) });
    expect(sent).toMatchObject({
      status: 201,
      body: { status: 'succeeded', amount: cny(2500), balanceAfter: cny(7500), to: { id: bob.account.id } },
    });
    expect(sent.body.to.display).toBe('+86******8001');
    const back = await post(bob, '/api/v1/me/transfers', { to: 'ALICE@example.com', amount: cny(500) });
    expect(back.status).toBe(201);
    expect(await balanceOf(t, alice)).toBe(8000);
    expect(await balanceOf(t, bob)).toBe(2000);
    const aliceLines = (await api(t, 'GET', '/api/v1/me/ledger', { headers: alice.headers })).body.items;
    expect(
      aliceLines.map((l: { kind: string; amount: { amount: number } }) => [l.kind, l.amount.amount]),
    ).toEqual([
      ['transfer_in', 500],
      ['transfer_out', -2500],
      ['topup', 10_000],
    ]);
    const bobIn = await api(t, 'GET', '/api/v1/me/ledger?kind=transfer_in', { headers: bob.headers });
    expect(bobIn.body.items).toHaveLength(1);
    await t.ctx.runner.drain();
    const bobSms = await api(t, 'GET', '/api/v1/dev/messages?to=%2B8613800138001');
    expect(bobSms.body.items.some((m: { text: string }) => m.text.includes('a***@example.com'))).toBe(true);
  });

  it('refuses transfers to oneself, to nobody, to suspended accounts (as to nobody) and beyond the balance', async () => {
    await topUp(t, alice, 1000);
    expect(
      (await post(alice, '/api/v1/me/transfers', { to: 'alice@example.com', amount: cny(1) })).body.code,
    ).toBe('SELF_TRANSFER');
    expect(
      (await post(alice, '/api/v1/me/transfers', { to: 'ghost@example.com', amount: cny(1) })).body.code,
    ).toBe('RECIPIENT_NOT_FOUND');
    expect((await post(alice, '/api/v1/me/transfers', { to: 'not a thing', amount: cny(1) })).body.code).toBe(
      'RECIPIENT_NOT_FOUND',
    );
    expect(
      (await post(alice, '/api/v1/me/transfers', { to: '+8613800138001', amount: cny(1001) })).body.code,
    ).toBe('INSUFFICIENT_BALANCE');
    await t.ctx.database.db
      .updateTable('accounts')
      .set({ status: 'suspended' })
      .where('id', '=', bob.account.id)
      .execute();
    expect(
      (await post(alice, '/api/v1/me/transfers', { to: '+8613800138001', amount: cny(1) })).body.code,
    ).toBe('RECIPIENT_NOT_FOUND');
    expect(await balanceOf(t, alice)).toBe(1000);
    await t.ctx.database.db
      .updateTable('accounts')
      .set({ status: 'cancellation_pending' })
      .where('id', '=', alice.account.id)
      .execute();
    expect((await topUp(t, alice, 100)).body.code).toBe('ACCOUNT_NOT_ACTIVE');
    // The sender is checked first, whatever the recipient.
    for (const to of ['ghost@example.com', '+8613800138001'])
      expect((await post(alice, '/api/v1/me/transfers', { to, amount: cny(1) })).body.code).toBe(
        'ACCOUNT_NOT_ACTIVE',
      );
  });

  it('checks a recipient saying only "can receive" or "cannot receive", for unknown, staff and inactive addresses alike', async () => {
    const preview = async (to: string) =>
      api(t, 'GET', `/api/v1/me/transfers/recipient?to=${encodeURIComponent(to)}`, {
        headers: alice.headers,
      });
    await t.ctx.identity.addStaff(
      { email: 'agent@operator.example', role: 'agent' },
      { actor: { type: 'system', id: 'test' } },
    );
    const carol = await signIn(t, 'carol@example.com');
    await t.ctx.database.db
      .updateTable('accounts')
      .set({ status: 'suspended' })
      .where('id', '=', carol.account.id)
      .execute();
    expect(await preview('+86 138 0013 8001')).toMatchObject({
      status: 200,
      body: { canReceive: true, display: '+86******8001' },
    });
    const cannot = [
      await preview('ghost@example.com'),
      await preview('agent@operator.example'),
      await preview('carol@example.com'),
    ];
    for (const answer of cannot) {
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(['canReceive', 'display']);
      expect(answer.body.canReceive).toBe(false);
    }
    // The mask is of the address as given, so it shows nothing the caller did not type.
    expect(cannot.map((a) => a.body.display)).toEqual([
      'g***@example.com',
      'a***@operator.example',
      'c***@example.com',
    ]);
    expect((await preview('ALICE@example.com')).body.code).toBe('SELF_TRANSFER');
    expect(await preview('not a thing')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_PHONE', details: { field: 'to' } },
    });
    // The transfer itself still refuses them all.
    await topUp(t, alice, 100);
    for (const to of ['agent@operator.example', 'carol@example.com'])
      expect(
        (await post(alice, '/api/v1/me/transfers', { to, amount: cny(1) })).status,
      ).toBeGreaterThanOrEqual(400);
  });

  it('limits recipient checks per subscriber per hour (policy), 429 with Retry-After beyond', async () => {
    await t.ctx.policies.update({ recipientChecksPerHour: 3 }, { actor: { type: 'system', id: 'test' } });
    const preview = (session: Session, to: string) =>
      api(t, 'GET', `/api/v1/me/transfers/recipient?to=${encodeURIComponent(to)}`, {
        headers: session.headers,
      });
    for (const to of ['a1@example.com', 'a2@example.com', '+8613800138001'])
      expect((await preview(alice, to)).status).toBe(200);
    clock.advance(10 * 60_000);
    const limited = await preview(alice, 'a4@example.com');
    expect(limited).toMatchObject({
      status: 429,
      body: { code: 'RATE_LIMITED', details: { limit: 'recipientChecks' } },
    });
    expect(Number(limited.headers.get('retry-after'))).toBe(50 * 60);
    // Another subscriber has a budget of their own.
    expect((await preview(bob, 'alice@example.com')).body.canReceive).toBe(true);
    clock.advance(50 * 60_000 + 1000);
    expect((await preview(alice, '+8613800138001')).body).toMatchObject({ canReceive: true });
  });

  it('answers a transfer to an unknown, staff or inactive address alike, and counts refused transfers against the hourly check budget', async () => {
    await t.ctx.policies.update({ recipientChecksPerHour: 5 }, { actor: { type: 'system', id: 'test' } });
    await signInStaff(t, 'agent.smith@operator.example.com', 'agent');
    const carol = await signIn(t, 'carol@example.com');
    const dave = await signIn(t, 'dave@example.com');
    await t.ctx.database.db
      .updateTable('accounts')
      .set({ status: 'suspended' })
      .where('id', '=', carol.account.id)
      .execute();
    await t.ctx.database.db
      .updateTable('accounts')
      .set({ status: 'cancellation_pending' })
      .where('id', '=', dave.account.id)
      .execute();
    const checks = async () =>
      (
        await t.ctx.database.db
          .selectFrom('recipient_checks')
          .select('id')
          .where('account_id', '=', alice.account.id)
          .execute()
      ).length;
    // Alice's wallet is empty: an address that cannot receive answers the same whatever the reason.
    const answers = [];
    for (const to of [
      'ghost@example.com',
      'agent.smith@operator.example.com',
      'carol@example.com',
      'dave@example.com',
    ]) {
      const refused = await post(alice, '/api/v1/me/transfers', { to, amount: cny(1) });
      answers.push({
        status: refused.status,
        code: refused.body.code,
        message: refused.body.message,
        details: refused.body.details,
      });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 404, code: 'RECIPIENT_NOT_FOUND', details: { field: 'to' } });
    expect(await checks()).toBe(4);
    // An active recipient is checked before the balance, and that answer costs a check too.
    const empty = await post(alice, '/api/v1/me/transfers', { to: '+8613800138001', amount: cny(1) });
    expect(empty).toMatchObject({ status: 409, body: { code: 'INSUFFICIENT_BALANCE' } });
    expect(await checks()).toBe(5);
    // The hour's checks are spent: every transfer is refused, to a good address too, with money.
    await topUp(t, alice, 1000);
    const limited = await post(alice, '/api/v1/me/transfers', { to: '+8613800138001', amount: cny(100) });
    expect(limited).toMatchObject({
      status: 429,
      body: { code: 'RATE_LIMITED', details: { limit: 'recipientChecks' } },
    });
    expect(
      (await post(alice, '/api/v1/me/transfers', { to: 'ghost@example.com', amount: cny(100) })).status,
    ).toBe(429);
    expect(await balanceOf(t, alice)).toBe(1000);
    clock.advance(60 * 60_000 + 1000);
    const sent = await post(alice, '/api/v1/me/transfers', { to: '+8613800138001', amount: cny(100) });
    expect(sent.status).toBe(201);
    // A transfer that goes through is not a check (the old ones go when the next is counted).
    expect(await checks()).toBe(5);
    expect(await verify()).toEqual([]);
  });

  it('refunds only what was topped up and not spent, holds it while pending, and returns it if the refund fails', async () => {
    await topUp(t, alice, 6000);
    await topUp(t, bob, 3000);
    await post(bob, '/api/v1/me/transfers', { to: 'alice@example.com', amount: cny(3000) });
    const refundable = await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: alice.headers });
    expect(refundable.body).toEqual({
      refundable: cny(6000),
      balance: cny(9000),
      toppedUpNotRefunded: cny(6000),
    });
    const over = await post(alice, '/api/v1/me/refunds', { amount: cny(6001) });
    expect(over).toMatchObject({
      status: 409,
      body: { code: 'REFUND_EXCEEDS_REFUNDABLE', details: { refundable: cny(6000) } },
    });

    const refund = await post(alice, '/api/v1/me/refunds', { amount: cny(4000) });
    expect(refund.body).toMatchObject({ status: 'pending', amount: cny(4000) });
    expect(await balanceOf(t, alice)).toBe(5000);
    expect((await t.ctx.wallet.moneyInFlight(t.ctx.database.db, alice.account.id)).refunds).toHaveLength(1);
    await t.ctx.runner.drain();
    const settled = await t.ctx.database.db
      .selectFrom('refunds')
      .selectAll()
      .where('id', '=', refund.body.id)
      .executeTakeFirstOrThrow();
    expect(settled.status).toBe('succeeded');
    expect((await t.ctx.wallet.moneyInFlight(t.ctx.database.db, alice.account.id)).refunds).toHaveLength(0);

    t.ctx.payments.test!.setOutcome('refund', 'fail');
    const doomed = await post(alice, '/api/v1/me/refunds', { amount: cny(2000) });
    expect(await balanceOf(t, alice)).toBe(3000);
    await t.ctx.runner.drain();
    expect(await balanceOf(t, alice)).toBe(5000);
    const lines = (await api(t, 'GET', '/api/v1/me/ledger?kind=refund', { headers: alice.headers })).body
      .items;
    expect(
      lines.map((l: { amount: { amount: number }; reference: string }) => [l.amount.amount, l.reference]),
    ).toEqual([
      [2000, doomed.body.id],
      [-2000, doomed.body.id],
      [-4000, refund.body.id],
    ]);
    const again = await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: alice.headers });
    expect(again.body.refundable).toEqual(cny(2000));
    expect(await verify()).toEqual([]);
  });

  it('pages the statement with a cursor and filters by date', async () => {
    for (let i = 1; i <= 5; i++) {
      await topUp(t, alice, i * 100);
      clock.advance(60 * 60 * 1000);
    }
    const first = await api(t, 'GET', '/api/v1/me/ledger?limit=2', { headers: alice.headers });
    expect(first.body.items.map((l: { amount: { amount: number } }) => l.amount.amount)).toEqual([500, 400]);
    const second = await api(t, 'GET', `/api/v1/me/ledger?limit=2&cursor=${first.body.nextCursor}`, {
      headers: alice.headers,
    });
    expect(second.body.items.map((l: { balanceAfter: { amount: number } }) => l.balanceAfter.amount)).toEqual(
      [600, 300],
    );
    const windowed = await api(
      t,
      'GET',
      '/api/v1/me/ledger?from=2026-06-01T09:00:00Z&to=2026-06-01T11:00:00Z',
      { headers: alice.headers },
    );
    expect(windowed.body.items).toHaveLength(2);
    expect((await api(t, 'GET', '/api/v1/me/ledger?cursor=%%%', { headers: alice.headers })).status).toBe(
      400,
    );
    expect((await api(t, 'GET', '/api/v1/me/ledger?kind=bribe', { headers: alice.headers })).status).toBe(
      400,
    );
  });

  it('refuses a negative wallet in the database itself', async () => {
    await topUp(t, alice, 100);
    await expect(
      t.ctx.database.db
        .updateTable('ledger_accounts')
        .set({ balance: -1 })
        .where('owner_id', '=', alice.account.id)
        .execute(),
    ).rejects.toThrow(/wallet_not_negative|CHECK constraint/i);
  });

  it('keeps both wallets whole under 50 parallel transfers in both directions plus parallel purchases', async () => {
    await t.ctx.catalog.seedDemo();
    const plan = (await api(t, 'GET', '/api/v1/plans?country=HK')).body.items[0];
    const price = plan.price.amount;
    await topUp(t, alice, 3000 + 2 * price);
    await topUp(t, bob, 3000 + 2 * price);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? post(alice, '/api/v1/me/transfers', { to: '+8613800138001', amount: cny(130 + i) })
          : post(bob, '/api/v1/me/transfers', { to: 'alice@example.com', amount: cny(170 + i) }),
      ),
    );
    const purchases = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(i % 2 ? bob : alice, '/api/v1/me/lines', { planId: plan.id }),
      ),
    );
    for (const r of [...results, ...purchases]) expect([201, 409]).toContain(r.status);
    const a = await balanceOf(t, alice);
    const b = await balanceOf(t, bob);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
    const bought = purchases.filter((r) => r.status === 201);
    expect(bought.length).toBeGreaterThanOrEqual(4);
    expect(a + b + bought.length * price).toBe(6000 + 4 * price);
    expect(new Set(bought.map((r) => r.body.msisdn)).size).toBe(bought.length);
    const moved = results.filter((r) => r.status === 201).length;
    const lines = await t.ctx.database.db
      .selectFrom('ledger_postings')
      .select('id')
      .where('kind', '=', 'transfer')
      .execute();
    expect(lines).toHaveLength(moved);
    expect(await verify()).toEqual([]);
  });
});
