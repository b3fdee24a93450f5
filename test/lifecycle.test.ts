import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { applyToClose } from './helpers/cancellation.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, newKey, type Session, signIn, signInStaff } from './helpers/session.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

describeEachDialect('account lifecycle: suspension, reminders, retention', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock('2026-11-23T02:00:00.000Z');
    t = await startTestApp(dialect, { clock, env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    await t.ctx.catalog.seedDemo();
  });
  afterAll(() => t.close());

  const staff = (email: string, role: 'agent' | 'reviewer' | 'admin') => signInStaff(t, email, role);
  const inbox = async (to: string) => {
    await t.ctx.runner.drain();
    return (await api(t, 'GET', `/api/v1/dev/messages?to=${encodeURIComponent(to)}`)).body.items as {
      channel: string;
      subject: string | null;
      text: string;
    }[];
  };
  const networkActions = (subject: string) =>
    t.ctx.database.db
      .selectFrom('network_actions')
      .select('action')
      .where('subject', '=', subject)
      .orderBy('id')
      .execute()
      .then((rows) => rows.map((r) => r.action));

  /** Refund, unbind, submit, checks, approve, effects: a deregistered account. */
  async function deregistered(email: string, reviewer: Session) {
    const { session } = await activeLine(t, email, { locale: 'zh-CN' });
    await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: '注销前的问题', message: '我的号码是 13800138000' },
      headers: session.headers,
    });
    const requestId = await applyToClose(t, session, {
      reasonCode: 'other',
      reason: '搬家到国外，地址是某某路 1 号',
    });
    const approved = await api(t, 'POST', `/api/v1/staff/cancellations/${requestId}/decision`, {
      body: { decision: 'approve' },
      headers: reviewer.headers,
    });
    expect(approved.status).toBe(200);
    await t.ctx.runner.drain();
    return session;
  }

  it('refuses to resume from a session older than ten minutes; an agent may resume after checking the caller', async () => {
    const { session } = await activeLine(t, 'stale@example.com');
    expect((await api(t, 'POST', '/api/v1/me/suspend', { headers: session.headers })).body.status).toBe(
      'suspended',
    );
    clock.advance(11 * MINUTE);
    const stale = await api(t, 'POST', '/api/v1/me/resume', { headers: session.headers });
    expect(stale).toMatchObject({ status: 403, body: { code: 'FRESH_SIGN_IN_REQUIRED' } });
    const fresh = await signIn(t, 'stale@example.com');
    expect((await api(t, 'POST', '/api/v1/me/resume', { headers: fresh.headers })).body.status).toBe(
      'active',
    );

    const agent = await staff('agent.lifecycle@operator.example.com', 'agent');
    await api(t, 'POST', `/api/v1/staff/accounts/${session.account.id}/suspend`, { headers: agent.headers });
    clock.advance(30 * MINUTE);
    const resumed = await api(t, 'POST', `/api/v1/staff/accounts/${session.account.id}/resume`, {
      headers: agent.headers,
    });
    expect(resumed).toMatchObject({ status: 200, body: { status: 'active' } });
    const audit = await t.ctx.audit.list({
      accountId: session.account.id,
      action: 'account.resumed',
      limit: 5,
    });
    expect(audit.items.map((a) => a.actor.type)).toEqual(['staff', 'account']);
  });

  it('suspends one line only: barred on the network while the account and other lines carry on', async () => {
    const { session, lineId } = await activeLine(t, 'one.line@example.com');
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    const suspended = await api(t, 'POST', `/api/v1/me/lines/${lineId}/suspend`, {
      headers: session.headers,
    });
    expect(suspended).toMatchObject({ status: 200, body: { status: 'active' } });
    expect(
      (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body.status,
    ).toBe('suspended');
    expect(await networkActions(line.msisdn)).toContain('bar');
    expect(
      (await api(t, 'POST', `/api/v1/me/lines/${lineId}/suspend`, { headers: session.headers })).body.code,
    ).toBe('LINE_NOT_ACTIVE');
    // The account still works: money can move.
    const topped = await api(t, 'POST', '/api/v1/me/topups', {
      body: { amount: { amount: 100, currency: 'CNY' } },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    });
    expect(topped.status).toBe(201);

    clock.advance(11 * MINUTE);
    expect(
      (await api(t, 'POST', `/api/v1/me/lines/${lineId}/resume`, { headers: session.headers })).body.code,
    ).toBe('FRESH_SIGN_IN_REQUIRED');
    const fresh = await signIn(t, 'one.line@example.com');
    expect(
      (await api(t, 'POST', `/api/v1/me/lines/${lineId}/resume`, { headers: fresh.headers })).status,
    ).toBe(200);
    expect((await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: fresh.headers })).body.status).toBe(
      'active',
    );
    expect(await networkActions(line.msisdn)).toEqual(expect.arrayContaining(['bar', 'unbar']));
    const other = await signIn(t, 'not.owner@example.com');
    expect(
      (await api(t, 'POST', `/api/v1/me/lines/${lineId}/suspend`, { headers: other.headers })).status,
    ).toBe(404);
  });

  it('tells the subscriber of the approval, and reviewers once a day of overdue requests', async () => {
    const reviewer = await staff('reviewer.lifecycle@operator.example.com', 'reviewer');
    await deregistered('approved.notice@example.com', reviewer);
    const told = await inbox('approved.notice@example.com');
    expect(told.map((m) => m.subject)).toEqual(
      expect.arrayContaining(['您的注销申请已通过审核', '您的账户已注销']),
    );
    await deregistered('+8613700001111', reviewer);
    const texts = (await inbox('+8613700001111')).map((m) => m.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringContaining('注销申请已通过审核'),
        expect.stringContaining('您的账户已注销'),
      ]),
    );

    const late = await signIn(t, 'late@example.com');
    const submitted = await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: late.headers });
    expect(submitted.status).toBe(201);
    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();
    const reminders = async () =>
      (await inbox('reviewer.lifecycle@operator.example.com')).filter((m) =>
        m.subject?.includes('past their due date'),
      );
    expect(await reminders()).toHaveLength(0);

    clock.set(new Date(Date.parse(submitted.body.dueBy) + 60 * MINUTE));
    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();
    expect(await reminders()).toHaveLength(1);
    expect((await reminders())[0]!.subject).toBe('1 cancellation requests are past their due date');
    // Once a day: a second pass the same day sends nothing more; the next day sends again.
    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();
    expect(await reminders()).toHaveLength(1);
    clock.advance(DAY);
    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();
    expect(await reminders()).toHaveLength(2);
    await api(t, 'POST', `/api/v1/me/cancellation/${submitted.body.id}/withdraw`, {
      headers: (await signIn(t, 'late@example.com')).headers,
    });
  });

  it('erases personal data after the retention period, keeps the money trail, and audits without the values', async () => {
    const reviewer = await staff('reviewer.retention@operator.example.com', 'reviewer');
    const session = await deregistered('erase.me@example.com', reviewer);
    const accountId = session.account.id;
    expect(await t.ctx.retention.eraseDue()).toBe(0);
    // A notice that never went out (its fan-out gave up) still names the address until erasure.
    await t.ctx.notifications.notify(
      t.ctx.database.db,
      { id: accountId, email: 'erase.me@example.com', phone: null, locale: 'en' },
      'export_ready',
      { hours: 24 },
      ['email'],
    );
    await t.ctx.database.db
      .updateTable('jobs')
      .set({ status: 'dead' })
      .where('kind', '=', 'notifications.fanout')
      .where('status', '=', 'queued')
      .execute();

    clock.advance(179 * DAY);
    expect(await t.ctx.retention.due()).not.toContain(accountId);
    clock.advance(2 * DAY);
    expect(await t.ctx.retention.due()).toContain(accountId);
    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();

    const db = t.ctx.database.db;
    const account = await db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(account).toMatchObject({ email: null, phone: null, status: 'deregistered' });
    expect(account.erased_at).not.toBeNull();
    const texts = JSON.stringify([
      await db.selectFrom('tickets').selectAll().where('account_id', '=', accountId).execute(),
      await db
        .selectFrom('ticket_messages')
        .innerJoin('tickets', 'tickets.id', 'ticket_messages.ticket_id')
        .select('body')
        .where('tickets.account_id', '=', accountId)
        .execute(),
      await db.selectFrom('cancellation_requests').selectAll().where('account_id', '=', accountId).execute(),
      await db.selectFrom('messages').selectAll().where('account_id', '=', accountId).execute(),
      await db.selectFrom('devices').selectAll().where('account_id', '=', accountId).execute(),
      await db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId).execute(),
      // Queued work carries no personal data once done (notices fan out into messages, then scrub).
      await db.selectFrom('jobs').select(['kind', 'payload']).execute(),
    ]);
    for (const secret of ['erase.me@example.com', '13800138000', '某某路', '注销前的问题'])
      expect(texts).not.toContain(secret);
    expect(
      (await api(t, 'GET', '/api/v1/dev/messages?to=erase.me@example.com')).body.items.every(
        (m: { text: string }) => m.text === '[erased]',
      ),
    ).toBe(true);
    // The money trail stays, detached from the person.
    const postings = await db
      .selectFrom('ledger_postings')
      .select('id')
      .where('credit_id', '=', `lac_wallet_CNY_${accountId}`)
      .execute();
    expect(postings.length).toBeGreaterThan(0);
    expect(await t.ctx.ledger.verify(db)).toEqual([]);
    const erased = await t.ctx.audit.list({ accountId, action: 'account.erased', limit: 5 });
    expect(erased.items).toHaveLength(1);
    expect(JSON.stringify(erased.items[0])).not.toContain('@');
    // The address is free again: signing in with it opens a new, unrelated account.
    const again = await signIn(t, 'erase.me@example.com');
    expect(again.account.id).not.toBe(accountId);
    expect(again.account.status).toBe('active');
  });

  it('completes the deregistration while the SMS gateway is down, and sends the SMS once it is back', async () => {
    const { createServer } = await import('node:http');
    const { freePort } = await import('./helpers/process.js');
    const port = await freePort();
    const gw = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN', SMS_GATEWAY_URL: `http://127.0.0.1:${port}/send` },
    });
    try {
      await gw.ctx.catalog.seedDemo();
      const reviewer = await signInStaff(gw, 'reviewer.down@operator.example.com', 'reviewer');
      const leaver = await signIn(gw, 'down@example.com', { locale: 'zh-CN' });
      await gw.ctx.database.db
        .updateTable('accounts')
        .set({ phone: '+8613811112222' })
        .where('id', '=', leaver.account.id)
        .execute();
      const submitted = await api(gw, 'POST', '/api/v1/me/cancellation', {
        body: {},
        headers: leaver.headers,
      });
      await gw.ctx.runner.drain();
      await api(gw, 'POST', `/api/v1/staff/cancellations/${submitted.body.id}/decision`, {
        body: { decision: 'approve' },
        headers: reviewer.headers,
      });
      await gw.ctx.runner.drain();
      // The account is deregistered although no SMS could go out; the SMS waits in the outbox.
      const account = await gw.ctx.database.db
        .selectFrom('accounts')
        .select('status')
        .where('id', '=', leaver.account.id)
        .executeTakeFirstOrThrow();
      expect(account.status).toBe('deregistered');
      const waiting = await gw.ctx.database.db
        .selectFrom('messages')
        .selectAll()
        .where('channel', '=', 'sms')
        .where('status', '!=', 'sent')
        .execute();
      expect(waiting.length).toBeGreaterThanOrEqual(1);

      const received: string[] = [];
      const gateway = createServer((req, res) => {
        let raw = '';
        req.on('data', (c) => {
          raw += c;
        });
        req.on('end', () => {
          received.push(JSON.parse(raw).text);
          res.end('{}');
        });
      });
      await new Promise<void>((resolve) => gateway.listen(port, '127.0.0.1', resolve));
      try {
        for (let i = 0; i < 4; i++) {
          clock.advance(60 * MINUTE);
          await gw.ctx.runner.drain();
        }
        expect(received.filter((text) => text.includes('您的账户已注销'))).toHaveLength(1);
        expect(received.filter((text) => text.includes('注销申请已通过审核'))).toHaveLength(1);
      } finally {
        await new Promise((resolve) => gateway.close(resolve));
      }
    } finally {
      await gw.close();
    }
  });
});
