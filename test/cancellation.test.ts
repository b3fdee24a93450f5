import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, newKey, type Session, signIn, signInStaff } from './helpers/session.js';

describeEachDialect('account cancellation', (dialect) => {
  let t: TestApp;
  let reviewer: Session;
  let reviewer2: Session;
  let agent: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    await t.ctx.catalog.seedDemo();
    reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    reviewer2 = await signInStaff(t, 'reviewer2@operator.example.com', 'reviewer');
    agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
  });
  afterAll(() => t.close());

  /** Empties the balance (refund) and unbinds every device: what the article's steps 1 and 2 ask. */
  async function getReady(session: Session) {
    const refundable = (await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: session.headers }))
      .body.refundable.amount;
    if (refundable > 0)
      await api(t, 'POST', '/api/v1/me/refunds', {
        body: { amount: refundable },
        headers: { ...session.headers, 'idempotency-key': newKey() },
      });
    for (const d of (await api(t, 'GET', '/api/v1/me/devices', { headers: session.headers })).body.items) {
      await api(t, 'DELETE', `/api/v1/me/devices/${d.id}`, { headers: session.headers });
    }
    await t.ctx.runner.drain();
  }
  const decide = (who: Session, id: string, body: Record<string, unknown>) =>
    api(t, 'POST', `/api/v1/staff/cancellations/${id}/decision`, { body, headers: who.headers });

  it('walks the whole loop: blocked, submitted, checks, info requested, resubmitted, approved, deregistered', async () => {
    const { session, lineId } = await activeLine(t, 'leaver@example.com', { locale: 'zh-CN' });
    const blocked = await api(t, 'POST', '/api/v1/me/cancellation', {
      body: { reasonCode: 'cost' },
      headers: session.headers,
    });
    expect(blocked).toMatchObject({ status: 409, body: { code: 'NOT_ELIGIBLE' } });
    expect(blocked.body.details.blockers.map((b: { code: string }) => b.code)).toEqual([
      'BALANCE_NOT_ZERO',
      'DEVICES_BOUND',
    ]);

    await getReady(session);
    const submitted = await api(t, 'POST', '/api/v1/me/cancellation', {
      body: { reasonCode: 'no_longer_needed', reason: '换号了' },
      headers: session.headers,
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      status: 'submitted',
      reasonCode: 'no_longer_needed',
      events: [{ status: 'submitted' }],
    });
    expect(Date.parse(submitted.body.dueBy)).toBeGreaterThan(Date.now() + 24 * 3600_000);
    expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body.status).toBe(
      'cancellation_pending',
    );
    expect(
      (
        await api(t, 'POST', '/api/v1/me/topups', {
          body: { amount: 100 },
          headers: { ...session.headers, 'idempotency-key': newKey() },
        })
      ).body.code,
    ).toBe('ACCOUNT_NOT_ACTIVE');
    expect(
      (await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: session.headers })).status,
    ).toBe(409);
    const id = submitted.body.id;

    await t.ctx.runner.drain();
    const queue = (await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })).body
      .items;
    const item = queue.find((q: { id: string }) => q.id === id);
    expect(item).toMatchObject({
      status: 'in_review',
      overdue: false,
      reason: '换号了',
      checks: { passed: true },
    });

    expect((await decide(agent, id, { decision: 'approve' })).status).toBe(403);
    expect(await decide(reviewer, id, { decision: 'request_info', note: ' ' })).toMatchObject({
      status: 400,
      body: { details: { field: 'note' } },
    });
    const asked = await decide(reviewer, id, {
      decision: 'request_info',
      note: '请确认已备份通话记录',
      version: item.version,
    });
    expect(asked.body.status).toBe('info_requested');
    // While the subscriber is asked, the request is not the reviewer's to decide (DESIGN.md diagram).
    const early = await decide(reviewer, id, { decision: 'reject', note: 'no answer yet' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'INVALID_TRANSITION', details: { status: 'info_requested' } });
    await t.ctx.runner.drain();
    const mails = (await api(t, 'GET', '/api/v1/dev/messages?to=leaver@example.com')).body.items;
    expect(mails[0].text).toContain('请确认已备份通话记录');

    const resubmitted = await api(t, 'POST', `/api/v1/me/cancellation/${id}/resubmit`, {
      body: { info: '已备份' },
      headers: session.headers,
    });
    expect(resubmitted.body.status).toBe('in_review');

    // Two reviewers decide the same version at once: one wins, the other is told it changed.
    const version = (
      await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })
    ).body.items.find((q: { id: string }) => q.id === id).version;
    const [a, b] = await Promise.all([
      decide(reviewer, id, { decision: 'approve', version }),
      decide(reviewer2, id, { decision: 'reject', note: 'duplicate', version }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a.body.code, b.body.code]).toContain('REQUEST_CHANGED');
    const winner = a.status === 200 ? a : b;
    if (winner.body.status !== 'approved') return expect(winner.body.status).toBe('rejected');

    await t.ctx.runner.drain();
    await t.ctx.runner.drain();
    expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).status).toBe(401);
    const again = await signIn(t, 'leaver@example.com');
    expect((await api(t, 'GET', '/api/v1/me', { headers: again.headers })).body.status).toBe('deregistered');
    expect((await api(t, 'GET', '/api/v1/me/balance', { headers: again.headers })).body.code).toBe(
      'ACCOUNT_DEREGISTERED',
    );
    const history = (await api(t, 'GET', '/api/v1/me/cancellation', { headers: again.headers })).body;
    expect(history.status).toBe('completed');
    expect(history.events.map((e: { status: string }) => e.status)).toEqual([
      'submitted',
      'in_review',
      'info_requested',
      'in_review',
      'approved',
      'completed',
    ]);
    expect((await api(t, 'POST', '/api/v1/me/exports', { headers: again.headers })).status).toBe(202);

    const line = await t.ctx.database.db
      .selectFrom('lines')
      .selectAll()
      .where('id', '=', lineId)
      .executeTakeFirstOrThrow();
    expect(line.status).toBe('terminated');
    const number = await t.ctx.database.db
      .selectFrom('numbers')
      .selectAll()
      .where('msisdn', '=', line.msisdn)
      .executeTakeFirstOrThrow();
    expect(number.status).toBe('quarantined');
    expect(Date.parse(number.available_from) - Date.now()).toBeGreaterThan(89 * 24 * 3600_000);
    const done = (await api(t, 'GET', '/api/v1/dev/messages?to=leaver@example.com')).body.items;
    expect(done.some((m: { subject: string }) => m.subject === '您的账户已注销')).toBe(true);
  });

  it('rejects with a reason (account active again) and lets a subscriber withdraw', async () => {
    const { session } = await activeLine(t, 'stays@example.com');
    await getReady(session);
    const r1 = (await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: session.headers })).body;
    await t.ctx.runner.drain();
    expect((await decide(reviewer, r1.id, { decision: 'reject' })).status).toBe(400);
    expect(
      (await decide(reviewer, r1.id, { decision: 'reject', note: 'outstanding dispute' })).body.status,
    ).toBe('rejected');
    expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body.status).toBe('active');
    expect((await decide(reviewer, r1.id, { decision: 'approve' })).body.code).toBe('INVALID_TRANSITION');

    const r2 = (
      await api(t, 'POST', '/api/v1/me/cancellation', {
        body: { reasonCode: 'other' },
        headers: session.headers,
      })
    ).body;
    const other = await signIn(t, 'not.the.owner@example.com');
    expect(
      (await api(t, 'POST', `/api/v1/me/cancellation/${r2.id}/withdraw`, { headers: other.headers })).body
        .code,
    ).toBe('REQUEST_NOT_FOUND');
    const withdrawn = await api(t, 'POST', `/api/v1/me/cancellation/${r2.id}/withdraw`, {
      headers: session.headers,
    });
    expect(withdrawn.body.status).toBe('withdrawn');
    expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body.status).toBe('active');
  });

  it('refuses approval when something changed since the checks', async () => {
    const { session, iccid } = await activeLine(t, 'changes@example.com');
    await getReady(session);
    const r = (await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: session.headers })).body;
    await t.ctx.runner.drain();
    // Usage from before the unbinding arrives late from mediation and goes beyond the allowance: arrears.
    await t.ctx.usage.ingest([
      {
        id: 'late-cdr',
        iccid,
        type: 'data',
        bytes: 6 * 1024 ** 3,
        startedAt: new Date().toISOString(),
        country: 'JP',
      },
    ]);
    const refused = await decide(reviewer, r.id, { decision: 'approve' });
    expect(refused).toMatchObject({ status: 409, body: { code: 'NOT_ELIGIBLE' } });
    expect(refused.body.details.blockers[0].code).toBe('BALANCE_NOT_ZERO');
  });

  it('suspends a lost or stolen account at once and resumes only after a fresh sign-in', async () => {
    const first = await activeLine(t, 'lost.phone@example.com');
    const thief = await signIn(t, 'lost.phone@example.com');
    const suspended = await api(t, 'POST', '/api/v1/me/suspend', { headers: first.session.headers });
    expect(suspended.body.status).toBe('suspended');
    expect((await api(t, 'GET', '/api/v1/me', { headers: thief.headers })).status).toBe(401);
    const bars = await t.ctx.database.db
      .selectFrom('network_actions')
      .selectAll()
      .where('action', '=', 'bar')
      .execute();
    expect(bars.length).toBeGreaterThanOrEqual(1);
    expect(
      (
        await api(t, 'POST', '/api/v1/me/topups', {
          body: { amount: 100 },
          headers: { ...first.session.headers, 'idempotency-key': newKey() },
        })
      ).body.code,
    ).toBe('ACCOUNT_NOT_ACTIVE');
    const fresh = await signIn(t, 'lost.phone@example.com');
    expect((await api(t, 'POST', '/api/v1/me/resume', { headers: fresh.headers })).body.status).toBe(
      'active',
    );
    const unbars = await t.ctx.database.db
      .selectFrom('network_actions')
      .selectAll()
      .where('action', '=', 'unbar')
      .execute();
    expect(unbars.length).toBe(bars.length);

    // An agent can suspend on the subscriber's behalf; a reviewer cannot.
    expect(
      (
        await api(t, 'POST', `/api/v1/staff/accounts/${first.session.account.id}/suspend`, {
          headers: reviewer.headers,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api(t, 'POST', `/api/v1/staff/accounts/${first.session.account.id}/suspend`, {
          headers: agent.headers,
        })
      ).body.status,
    ).toBe('suspended');
    expect((await api(t, 'GET', '/api/v1/me', { headers: fresh.headers })).status).toBe(401);
  });
});
