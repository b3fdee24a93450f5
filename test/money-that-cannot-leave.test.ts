import { afterAll, beforeAll, expect, it } from 'vitest';
import { ledgerAccountId } from '../src/modules/wallet/ledger.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, balanceOf, newKey, type Session, signIn, signInStaff, topUp } from './helpers/session.js';
import { unzip } from './helpers/zip.js';

// Issue 20 item 4: every balance can reach zero. A subscriber may give up (forfeit) only the part of
// the balance that cannot be refunded; staff can write a balance off and waive a closing account's
// arrears, under the goodwill credits' 24-hour sum per agent and account.
describeEachDialect('money that cannot leave: forfeits, write-offs, arrears', (dialect) => {
  let t: TestApp;
  let agent: Session;
  let admin: Session;
  let reviewer: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY', ADJUSTMENT_APPROVAL_MINOR: '5000' } });
    await t.ctx.catalog.seedDemo();
    agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
    admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
    reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    await t.ctx.policies.update({ adjustmentApprovalMinor: 5000 }, { actor: { type: 'system', id: 'test' } });
  });
  afterAll(() => t.close());

  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const post = (session: Session, path: string, body: unknown, key: string | null = newKey()) =>
    api(t, 'POST', path, {
      body,
      headers: { ...session.headers, ...(key ? { 'idempotency-key': key } : {}) },
    });
  const verify = () => t.ctx.ledger.verify(t.ctx.database.db);
  const preflight = async (session: Session) =>
    (await api(t, 'GET', '/api/v1/me/cancellation/eligibility', { headers: session.headers })).body;
  const balanceBlocker = async (session: Session) =>
    (await preflight(session)).blockers.find((b: { code: string }) => b.code === 'BALANCE_NOT_ZERO');
  const forfeitedBooks = () => t.ctx.ledger.balance(t.ctx.database.db, ledgerAccountId('forfeited', 'CNY'));
  const arrearsOf = (session: Session) => t.ctx.usage.arrears(session.account.id);
  const statement = async (session: Session) =>
    (await api(t, 'GET', '/api/v1/me/ledger', { headers: session.headers })).body.items.map(
      (l: { kind: string; amount: { amount: number } }) => [l.kind, l.amount.amount],
    );

  /** A subscriber holding `topped` paid by card and `received` by transfer from someone else. */
  async function holder(email: string, topped: number, received: number) {
    const session = await signIn(t, email);
    if (topped > 0) await topUp(t, session, topped);
    const giver = await signIn(t, `giver.${email}`);
    await topUp(t, giver, received);
    const sent = await post(giver, '/api/v1/me/transfers', { to: email, amount: cny(received) });
    expect(sent.status).toBe(201);
    return session;
  }

  it('lets a subscriber give up only what cannot be refunded, knowingly, once per key; the preflight offers exactly the ways that apply', async () => {
    const alice = await holder('alice@example.com', 3000, 7000);
    const before = await balanceBlocker(alice);
    expect(before.details).toMatchObject({
      wallet: cny(10_000),
      arrears: cny(0),
      refundable: cny(3000),
      forfeitable: cny(7000),
      ways: ['refund', 'transfer', 'forfeit'],
    });
    expect(before.message).toContain('30.00');
    expect(before.message).toContain('70.00');
    expect(before.message).toContain('it will be lost');
    const forfeitable = await api(t, 'GET', '/api/v1/me/forfeits/forfeitable', { headers: alice.headers });
    expect(forfeitable.body).toMatchObject({ forfeitable: cny(7000), refundable: cny(3000) });

    // Consent is explicit, and bounded by what cannot be refunded.
    const unconfirmed = await post(alice, '/api/v1/me/forfeits', { amount: cny(7000) });
    expect(unconfirmed).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(unconfirmed.body.details)).toContain('confirm');
    const refundableToo = await post(alice, '/api/v1/me/forfeits', { amount: cny(7001), confirm: true });
    expect(refundableToo).toMatchObject({
      status: 409,
      body: {
        code: 'FORFEIT_EXCEEDS_FORFEITABLE',
        details: { field: 'amount.amount', forfeitable: cny(7000), refundable: cny(3000) },
      },
    });
    const overBalance = await post(alice, '/api/v1/me/forfeits', { amount: cny(10_001), confirm: true });
    expect(overBalance).toMatchObject({ status: 409, body: { code: 'INSUFFICIENT_BALANCE' } });
    const negative = await post(alice, '/api/v1/me/forfeits', { amount: cny(-5), confirm: true });
    expect(negative.status).toBe(400);
    expect(await balanceOf(t, alice)).toBe(10_000);

    const key = newKey();
    const given = await post(alice, '/api/v1/me/forfeits', { amount: cny(7000), confirm: true }, key);
    expect(given).toMatchObject({
      status: 201,
      body: { amount: cny(7000), arrearsPaid: cny(0), balanceAfter: cny(3000) },
    });
    expect(given.body.id).toMatch(/^fft_/);
    const replay = await post(alice, '/api/v1/me/forfeits', { amount: cny(7000), confirm: true }, key);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(given.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const reused = await post(alice, '/api/v1/me/forfeits', { amount: cny(6000), confirm: true }, key);
    expect(reused).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await balanceOf(t, alice)).toBe(3000);
    expect(await forfeitedBooks()).toBe(7000);

    // On the statement, in the audit trail, and a receipt by email.
    expect((await statement(alice))[0]).toEqual(['forfeit', -7000]);
    const trail = await t.ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('account_id', '=', alice.account.id)
      .where('action', '=', 'wallet.forfeit')
      .execute();
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      subject_id: given.body.id,
      actor_type: 'account',
      actor_id: alice.account.id,
    });
    await t.ctx.runner.drain();
    const mail = (await api(t, 'GET', '/api/v1/dev/messages?to=alice@example.com')).body.items;
    expect(
      mail.some((m: { text: string }) => m.text.includes(given.body.id) && m.text.includes('70.00')),
    ).toBe(true);

    // What is left can be refunded, so forfeiting is no longer offered; nothing more can be given up.
    expect((await balanceBlocker(alice)).details.ways).toEqual(['refund', 'transfer']);
    expect((await post(alice, '/api/v1/me/forfeits', { amount: cny(1), confirm: true })).body.code).toBe(
      'FORFEIT_EXCEEDS_FORFEITABLE',
    );
    await post(alice, '/api/v1/me/refunds', { amount: cny(3000) });
    await t.ctx.runner.drain();
    expect(await balanceOf(t, alice)).toBe(0);
    expect(await balanceBlocker(alice)).toBeUndefined();

    // The export carries the receipt, in the statement file and a file of its own.
    const requested = await api(t, 'POST', '/api/v1/me/exports', { headers: alice.headers });
    await t.ctx.runner.drain();
    const ready = (await api(t, 'GET', `/api/v1/me/exports/${requested.body.id}`, { headers: alice.headers }))
      .body;
    const files = await unzip(Buffer.from(await (await fetch(`${t.url}${ready.downloadUrl}`)).arrayBuffer()));
    expect(files.get('forfeits.csv')).toContain(`${given.body.id},`);
    expect(files.get('forfeits.csv')).toContain(',7000,CNY,3000');
    expect(files.get('ledger.csv')).toMatch(/,forfeit,-7000,3000,CNY,fft_/);
    expect(await verify()).toEqual([]);
  });

  it('lets a subscriber refund first and then give up the rest', async () => {
    const carol = await holder('carol@example.com', 2500, 1500);
    await post(carol, '/api/v1/me/refunds', { amount: cny(2500) });
    await t.ctx.runner.drain();
    expect((await balanceBlocker(carol)).details).toMatchObject({
      refundable: cny(0),
      forfeitable: cny(1500),
      ways: ['transfer', 'forfeit'],
    });
    const given = await post(carol, '/api/v1/me/forfeits', { amount: cny(1500), confirm: true });
    expect(given.body.balanceAfter).toEqual(cny(0));
    expect(await balanceBlocker(carol)).toBeUndefined();
    expect(await verify()).toEqual([]);
  });

  it('pays arrears from the balance before a forfeit, and a top-up pays them first', async () => {
    const { session: dan, iccid } = await activeLine(t, 'dan@example.com', { topUp: 6100 });
    const usage = (id: string) =>
      t.ctx.usage.ingest([
        { id, iccid, type: 'data', bytes: 6 * 1024 ** 3, startedAt: new Date().toISOString(), country: 'JP' },
      ]);
    await usage('dan-over-1');
    const owed = await arrearsOf(dan);
    expect(owed).toBeGreaterThan(0);
    expect(await balanceOf(t, dan)).toBe(0);
    expect((await balanceBlocker(dan)).details).toMatchObject({ arrears: cny(owed), ways: ['topup'] });

    // Money received by transfer: part of it pays what is owed; of the rest, what the top-up of
    // 61.00 (spent on the plan) makes refundable is refunded, only what is beyond can be given up.
    const giver = await signIn(t, 'giver.dan@example.com');
    await topUp(t, giver, owed + 8100);
    await post(giver, '/api/v1/me/transfers', { to: 'dan@example.com', amount: cny(owed + 8100) });
    expect((await balanceBlocker(dan)).details).toMatchObject({
      forfeitable: cny(2000),
      ways: ['refund', 'transfer', 'forfeit', 'topup'],
    });
    const over = await post(dan, '/api/v1/me/forfeits', { amount: cny(2001), confirm: true });
    expect(over.body.code).toBe('FORFEIT_EXCEEDS_FORFEITABLE');
    const given = await post(dan, '/api/v1/me/forfeits', { amount: cny(2000), confirm: true });
    expect(given.body).toMatchObject({ amount: cny(2000), arrearsPaid: cny(owed), balanceAfter: cny(6100) });
    expect(await arrearsOf(dan)).toBe(0);
    expect((await statement(dan)).slice(0, 2)).toEqual([
      ['forfeit', -2000],
      ['arrears_payment', -owed],
    ]);

    // New arrears, then a top-up: it pays them first, the rest stays in the wallet.
    await usage('dan-over-2');
    const again = await arrearsOf(dan);
    expect(again).toBeGreaterThan(0);
    await topUp(t, dan, again + 500);
    expect(await arrearsOf(dan)).toBe(0);
    expect(await balanceOf(t, dan)).toBe(500);
    expect(await verify()).toEqual([]);
  });

  it('writes off a balance for staff: explicit, audited, idempotent, summed with goodwill against the agent limit', async () => {
    const erin = await signIn(t, 'erin@example.com');
    await topUp(t, erin, 20_000);
    const path = `/api/v1/staff/accounts/${erin.account.id}/write-offs`;
    const key = newKey();
    const first = await post(agent, path, { amount: cny(3000), reason: 'duplicate top-up' }, key);
    expect(first).toMatchObject({
      status: 201,
      body: { kind: 'write_off', status: 'posted', amount: cny(3000), reason: 'duplicate top-up' },
    });
    const replay = await post(agent, path, { amount: cny(3000), reason: 'duplicate top-up' }, key);
    expect(replay.body).toEqual(first.body);
    expect(await balanceOf(t, erin)).toBe(17_000);
    expect((await statement(erin))[0]).toEqual(['write_off', -3000]);

    // No sign typed into a form: amounts are positive, and the credit form stays a credit.
    const negative = await post(agent, path, { amount: cny(-3000), reason: 'typo' });
    expect(negative.status).toBe(400);
    expect(JSON.stringify(negative.body.details)).toContain('amount');
    const goodwillNegative = await post(agent, `/api/v1/staff/accounts/${erin.account.id}/adjustments`, {
      amount: cny(-20),
      reason: 'typo',
    });
    expect(goodwillNegative.status).toBe(400);
    expect((await post(reviewer, path, { amount: cny(100), reason: 'not mine' })).status).toBe(403);
    expect((await post(agent, path, { amount: cny(100), reason: 'x' })).status).toBe(400);

    // Goodwill 1,500 and write-offs 3,000 make 4,500 of the agent's 5,000; 1,000 more waits for an admin.
    const goodwill = await post(agent, `/api/v1/staff/accounts/${erin.account.id}/adjustments`, {
      amount: cny(1500),
      reason: 'sorry',
    });
    expect(goodwill.body.status).toBe('posted');
    const waiting = await post(agent, path, { amount: cny(1000), reason: 'second duplicate' });
    expect(waiting.body).toMatchObject({ kind: 'write_off', status: 'pending_approval' });
    expect(await balanceOf(t, erin)).toBe(18_500);
    const approved = await api(t, 'POST', `/api/v1/staff/adjustments/${waiting.body.id}/decision`, {
      body: { decision: 'approve' },
      headers: admin.headers,
    });
    expect(approved.body).toMatchObject({ status: 'posted', kind: 'write_off' });
    expect(await balanceOf(t, erin)).toBe(17_500);
    // An admin is not limited, but cannot take more than the balance.
    expect((await post(admin, path, { amount: cny(10_000), reason: 'fraud chargeback' })).body.status).toBe(
      'posted',
    );
    const over = await post(admin, path, { amount: cny(7501), reason: 'too much' });
    expect(over).toMatchObject({ status: 409, body: { code: 'INSUFFICIENT_BALANCE' } });
    expect(await balanceOf(t, erin)).toBe(7500);

    const actions = (
      await t.ctx.database.db
        .selectFrom('audit_log')
        .select('action')
        .where('account_id', '=', erin.account.id)
        .where('action', 'like', 'write_off.%')
        .execute()
    ).map((r) => r.action);
    expect(actions.filter((a) => a === 'write_off.posted')).toHaveLength(3);
    expect(actions.filter((a) => a === 'write_off.requested')).toHaveLength(3);
    expect(await verify()).toEqual([]);
  });

  it('waives arrears of a closing account only, up to what it owes, and the request can then be approved', async () => {
    const { session: finn, iccid } = await activeLine(t, 'finn@example.com', { topUp: 6100 });
    const refundable = (await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: finn.headers })).body
      .refundable.amount;
    if (refundable > 0) await post(finn, '/api/v1/me/refunds', { amount: cny(refundable) });
    for (const d of (await api(t, 'GET', '/api/v1/me/devices', { headers: finn.headers })).body.items)
      await api(t, 'DELETE', `/api/v1/me/devices/${d.id}`, { headers: finn.headers });
    await t.ctx.runner.drain();
    const path = `/api/v1/staff/accounts/${finn.account.id}/write-offs`;
    // Not closing: nothing to waive yet.
    expect((await post(agent, path, { amount: cny(100), reason: 'waive', of: 'arrears' })).body.code).toBe(
      'ACCOUNT_NOT_CLOSING',
    );
    const request = (await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: finn.headers }))
      .body;
    expect(request.status).toBe('submitted');
    await t.ctx.runner.drain();
    // Usage from before arrives late during the review: arrears on a closing account.
    await t.ctx.usage.ingest([
      {
        id: 'finn-late',
        iccid,
        type: 'data',
        bytes: 6 * 1024 ** 3,
        startedAt: new Date().toISOString(),
        country: 'JP',
      },
    ]);
    const owed = await arrearsOf(finn);
    expect(owed).toBeGreaterThan(0);
    const check = await t.ctx.eligibility.check(finn.account.id, 'en', request.id);
    expect(check.blockers[0]).toMatchObject({ code: 'BALANCE_NOT_ZERO', details: { ways: ['waiver'] } });
    expect(check.blockers[0]!.message).toContain('waive');

    const tooMuch = await post(admin, path, { amount: cny(owed + 1), reason: 'waive', of: 'arrears' });
    expect(tooMuch).toMatchObject({
      status: 409,
      body: { code: 'WAIVER_EXCEEDS_ARREARS', details: { arrears: cny(owed) } },
    });
    const waived = await post(admin, path, {
      amount: cny(owed),
      reason: 'late roaming record, goodwill',
      of: 'arrears',
    });
    expect(waived.body).toMatchObject({ kind: 'arrears_waiver', status: 'posted', amount: cny(owed) });
    expect(await arrearsOf(finn)).toBe(0);
    const approved = await api(t, 'POST', `/api/v1/staff/cancellations/${request.id}/decision`, {
      body: { decision: 'approve' },
      headers: reviewer.headers,
    });
    expect(approved.status).toBe(200);
    expect(await verify()).toEqual([]);
  });
});
