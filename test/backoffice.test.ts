import { Type } from 'typebox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { defineJob } from '../src/runner/jobs.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { activeLine } from './helpers/lines.js';
import { api, balanceOf, newKey, type Session, signIn, signInStaff, topUp } from './helpers/session.js';

describeEachDialect('staff back office', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  let admin: Session;
  let agent: Session;
  let reviewer: Session;
  beforeAll(async () => {
    clock = new ManualClock('2026-11-23T02:00:00.000Z'); // a Monday, 10:00 in Shanghai
    t = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN', ADJUSTMENT_APPROVAL_MINOR: '2000' },
    });
    await t.ctx.catalog.seedDemo();
    admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
    agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
    reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
  });
  afterAll(() => t.close());

  it('finds a customer by email, phone, line number, ICCID, EID and id, and shows the 360', async () => {
    const { session, lineId, iccid } = await activeLine(t, 'whole@example.com');
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    const device = (await api(t, 'GET', '/api/v1/me/devices', { headers: session.headers })).body.items[0];
    const byPhone = await signIn(t, '+8613912345678');
    await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'Hello', message: 'A question' },
      headers: session.headers,
    });

    const find = async (q: string) =>
      (await api(t, 'GET', `/api/v1/staff/accounts?q=${encodeURIComponent(q)}`, { headers: agent.headers }))
        .body.items as { id: string; matchedBy: string }[];
    expect(await find('WHOLE@example.com')).toMatchObject([{ id: session.account.id, matchedBy: 'email' }]);
    expect(await find(line.msisdn)).toMatchObject([{ id: session.account.id, matchedBy: 'phone' }]);
    expect(await find('139 1234 5678')).toMatchObject([{ id: byPhone.account.id, matchedBy: 'phone' }]);
    expect(await find(iccid)).toMatchObject([{ id: session.account.id, matchedBy: 'iccid' }]);
    expect(await find(device.eid)).toMatchObject([{ id: session.account.id, matchedBy: 'eid' }]);
    expect(await find(session.account.id)).toMatchObject([{ id: session.account.id, matchedBy: 'id' }]);
    expect(await find('nobody@example.com')).toEqual([]);
    // Staff accounts are not customers.
    expect(await find('admin@operator.example.com')).toEqual([]);

    const view = await api(t, 'GET', `/api/v1/staff/accounts/${session.account.id}`, {
      headers: agent.headers,
    });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      id: session.account.id,
      email: 'whole@example.com',
      status: 'active',
      balance: { currency: 'CNY' },
      lines: [{ id: lineId }],
      devices: [{ eid: device.eid }],
      tickets: [{ subject: 'Hello' }],
      requests: [],
    });
    expect(view.body.balance.amount).toBe(await balanceOf(t, session));
    expect(view.body.statement.map((s: { kind: string }) => s.kind)).toEqual(['purchase', 'topup']);
    // What the purchase bought, in the agent's language (the customer's may differ).
    const planNames = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    expect(view.body.statement[0].item).toEqual(expect.any(String));
    await t.ctx.identity.addStaff(
      { email: 'agent.zh@operator.example.com', role: 'agent', locale: 'zh-CN' },
      { actor: { type: 'system', id: 'test' } },
    );
    const agentZh = await signIn(t, 'agent.zh@operator.example.com');
    const inChinese = await api(t, 'GET', `/api/v1/staff/accounts/${session.account.id}`, {
      headers: agentZh.headers,
    });
    expect(inChinese.body.statement[0].item).toMatch(/[\u4e00-\u9fff]/);
    expect(inChinese.body.lines[0].planName).toMatch(/[\u4e00-\u9fff]/);
    expect(view.body.lines[0].planName).toBe(planNames.planName);
    expect(view.body.audit.length).toBeGreaterThan(0);
    expect(view.body.messages.length).toBeGreaterThan(0);
    expect(
      (
        await api(t, 'GET', '/api/v1/staff/accounts/acc_01JZZZZZZZZZZZZZZZZZZZZZZZ', {
          headers: agent.headers,
        })
      ).status,
    ).toBe(404);
    expect(
      (await api(t, 'GET', `/api/v1/staff/accounts/${session.account.id}`, { headers: session.headers }))
        .status,
    ).toBe(403);
  });

  it('resends an earlier notification but never a sign-in code', async () => {
    const customer = await signIn(t, 'resend@example.com');
    await topUp(t, customer, 500);
    await t.ctx.runner.drain();
    const view = (
      await api(t, 'GET', `/api/v1/staff/accounts/${customer.account.id}`, { headers: agent.headers })
    ).body;
    const receipt = view.messages.find((m: { template: string }) => m.template === 'topup_succeeded');
    const code = view.messages.find((m: { template: string }) => m.template === 'sign_in_code');
    const resent = await api(
      t,
      'POST',
      `/api/v1/staff/accounts/${customer.account.id}/messages/${receipt.id}/resend`,
      { headers: agent.headers },
    );
    expect(resent.status).toBe(201);
    await t.ctx.runner.drain();
    const inbox = (await api(t, 'GET', '/api/v1/dev/messages?to=resend@example.com')).body.items;
    expect(inbox.filter((m: { subject: string | null }) => m.subject === receipt.subject)).toHaveLength(2);
    if (code) {
      const refused = await api(
        t,
        'POST',
        `/api/v1/staff/accounts/${customer.account.id}/messages/${code.id}/resend`,
        { headers: agent.headers },
      );
      expect(refused.status).toBe(404);
    }
    const reviewerTry = await api(
      t,
      'POST',
      `/api/v1/staff/accounts/${customer.account.id}/messages/${receipt.id}/resend`,
      { headers: reviewer.headers },
    );
    expect(reviewerTry.status).toBe(403);
  });

  it('posts goodwill credits: at once up to the limit, above it after an admin approves; reviewers cannot', async () => {
    const customer = await signIn(t, 'goodwill@example.com');
    const adjust = (who: Session, amount: number, key = newKey(), reason = 'Network outage on 20 Nov') =>
      api(t, 'POST', `/api/v1/staff/accounts/${customer.account.id}/adjustments`, {
        body: { amount: { amount, currency: 'CNY' }, reason },
        headers: { ...who.headers, 'idempotency-key': key },
      });
    const key = newKey();
    const small = await adjust(agent, 1500, key);
    expect(small).toMatchObject({ status: 201, body: { status: 'posted', amount: { amount: 1500 } } });
    expect(await balanceOf(t, customer)).toBe(1500);
    const replay = await adjust(agent, 1500, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(small.body.id);
    expect(await balanceOf(t, customer)).toBe(1500);
    expect((await adjust(agent, 1600, key)).body.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const big = await adjust(agent, 5000);
    expect(big.body.status).toBe('pending_approval');
    expect(await balanceOf(t, customer)).toBe(1500);
    const pending = await api(t, 'GET', '/api/v1/staff/adjustments', { headers: admin.headers });
    expect(pending.body.items.map((a: { id: string }) => a.id)).toEqual([big.body.id]);
    expect((await api(t, 'GET', '/api/v1/staff/adjustments', { headers: agent.headers })).status).toBe(403);
    const approved = await api(t, 'POST', `/api/v1/staff/adjustments/${big.body.id}/decision`, {
      body: { decision: 'approve' },
      headers: admin.headers,
    });
    expect(approved.body).toMatchObject({ status: 'posted', decidedBy: admin.account.id });
    expect(await balanceOf(t, customer)).toBe(6500);
    const again = await api(t, 'POST', `/api/v1/staff/adjustments/${big.body.id}/decision`, {
      body: { decision: 'reject' },
      headers: admin.headers,
    });
    expect(again.body.code).toBe('INVALID_TRANSITION');

    expect((await adjust(reviewer, 100)).status).toBe(403);
    expect((await adjust(agent, 0)).body.details.field).toBe('amount.amount');
    expect((await adjust(agent, 100, newKey(), '')).body.details.field).toBe('reason');
    const noKey = await api(t, 'POST', `/api/v1/staff/accounts/${customer.account.id}/adjustments`, {
      body: { amount: { amount: 100, currency: 'CNY' }, reason: 'x y z' },
      headers: agent.headers,
    });
    expect(noKey.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await adjust(agent, 100, newKey(), 'wrong money')).status).toBe(201);
    const usd = await api(t, 'POST', `/api/v1/staff/accounts/${customer.account.id}/adjustments`, {
      body: { amount: { amount: 100, currency: 'USD' }, reason: 'wrong currency' },
      headers: { ...agent.headers, 'idempotency-key': newKey() },
    });
    expect(usd.body.code).toBe('CURRENCY_MISMATCH');
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
    const audit = await t.ctx.audit.list({
      accountId: customer.account.id,
      action: 'adjustment.',
      limit: 20,
    });
    expect(audit.items.filter((a) => a.action === 'adjustment.posted')).toHaveLength(3);
    await t.ctx.runner.drain();
    const told = (await api(t, 'GET', '/api/v1/dev/messages?to=goodwill@example.com')).body.items;
    expect(
      told.some((m: { subject: string }) => m.subject === 'A credit of CN¥15.00 was added to your balance'),
    ).toBe(true);
  });

  it('changes policies at run time: the next request is due by the new number of business days', async () => {
    const before = await api(t, 'GET', '/api/v1/staff/policies', { headers: reviewer.headers });
    expect(before.body).toMatchObject({
      reviewDays: 3,
      operatorCountry: 'CN',
      adjustmentApprovalMinor: 2000,
    });
    const submit = async (email: string) => {
      const s = await signIn(t, email);
      return (await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: s.headers })).body.dueBy;
    };
    // Monday 10:00 in Shanghai: 3 business days → Thursday's end; 1 → Tuesday's end.
    expect(await submit('policy.a@example.com')).toBe('2026-11-26T15:59:59.999Z');
    const changed = await api(t, 'PATCH', '/api/v1/staff/policies', {
      body: { reviewDays: 1 },
      headers: admin.headers,
    });
    expect(changed).toMatchObject({ status: 200, body: { reviewDays: 1 } });
    expect(await submit('policy.b@example.com')).toBe('2026-11-24T15:59:59.999Z');

    for (const [body, field] of [
      [{ reviewDays: 4 }, 'reviewDays'],
      [{ operatorCountry: 'XX' }, 'operatorCountry'],
      [{ operatorTimeZone: 'Mars/Base' }, 'operatorTimeZone'],
      [{ unknown: 1 }, 'unknown'],
    ] as const) {
      const bad = await api(t, 'PATCH', '/api/v1/staff/policies', { body, headers: admin.headers });
      expect(bad.status).toBe(400);
      expect(bad.body.details.field).toBe(field);
    }
    expect(
      (
        await api(t, 'PATCH', '/api/v1/staff/policies', {
          body: { reviewDays: 2 },
          headers: reviewer.headers,
        })
      ).status,
    ).toBe(403);
    const audit = await t.ctx.audit.list({ action: 'policies.updated', limit: 5 });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ before: { reviewDays: 3 }, after: { reviewDays: 1 } });
    await api(t, 'PATCH', '/api/v1/staff/policies', { body: { reviewDays: 3 }, headers: admin.headers });
  });

  it("reads national phone numbers as the policy's country once an admin changes it", async () => {
    const setCountry = (operatorCountry: string, operatorTimeZone: string) =>
      api(t, 'PATCH', '/api/v1/staff/policies', {
        body: { operatorCountry, operatorTimeZone },
        headers: admin.headers,
      });
    expect((await setCountry('GB', 'Europe/London')).status).toBe(200);
    try {
      const sent = await api(t, 'POST', '/api/v1/auth/codes', {
        body: { channel: 'sms', to: '07911 123456' },
      });
      expect(sent.status).toBe(202);
      await t.ctx.runner.drain();
      const inbox = (await api(t, 'GET', '/api/v1/dev/messages?to=%2B447911123456')).body.items;
      expect(inbox).toHaveLength(1);
      expect((await api(t, 'GET', '/api/v1/meta')).body.operatorCountry).toBe('GB');
    } finally {
      await setCountry('CN', 'Asia/Shanghai');
    }
  });

  it('invites staff, changes roles and disables them (signed out at once); an admin cannot change themself', async () => {
    const invited = await api(t, 'POST', '/api/v1/staff/members', {
      body: { email: 'New.Agent@Operator.example.com', role: 'agent', locale: 'zh-CN' },
      headers: admin.headers,
    });
    expect(invited).toMatchObject({
      status: 201,
      body: { email: 'new.agent@operator.example.com', role: 'agent' },
    });
    await t.ctx.runner.drain();
    const mail = (await api(t, 'GET', '/api/v1/dev/messages?to=new.agent@operator.example.com')).body.items;
    expect(mail[0].subject).toContain('后台');
    const again = await api(t, 'POST', '/api/v1/staff/members', {
      body: { email: 'new.agent@operator.example.com', role: 'admin' },
      headers: admin.headers,
    });
    expect(again.body.code).toBe('STAFF_EXISTS');

    const member = await signIn(t, 'new.agent@operator.example.com');
    expect((await api(t, 'GET', '/api/v1/staff/tickets', { headers: member.headers })).status).toBe(200);
    const promoted = await api(t, 'PATCH', `/api/v1/staff/members/${invited.body.id}`, {
      body: { role: 'reviewer' },
      headers: admin.headers,
    });
    expect(promoted.body.role).toBe('reviewer');
    const disabled = await api(t, 'PATCH', `/api/v1/staff/members/${invited.body.id}`, {
      body: { disabled: true },
      headers: admin.headers,
    });
    expect(disabled.body.disabled).toBe(true);
    expect((await api(t, 'GET', '/api/v1/staff/tickets', { headers: member.headers })).status).toBe(401);
    const self = await api(t, 'PATCH', `/api/v1/staff/members/${admin.account.id}`, {
      body: { role: 'agent' },
      headers: admin.headers,
    });
    expect(self.body.code).toBe('SELF_CHANGE');
    const list = await api(t, 'GET', '/api/v1/staff/members', { headers: admin.headers });
    expect(list.body.items.map((m: { email: string }) => m.email)).toContain(
      'new.agent@operator.example.com',
    );
    expect((await api(t, 'GET', '/api/v1/staff/members', { headers: agent.headers })).status).toBe(403);
  });

  it('shows runner jobs and lets an admin retry a dead one and cancel a queued one', async () => {
    let fail = true;
    const fragile = defineJob({
      kind: 'test.fragile',
      payload: Type.Object({}),
      maxAttempts: 1,
      handle: async () => {
        if (fail) throw new Error('SM-DP+ unreachable');
      },
    });
    t.ctx.jobs.register(fragile);
    const dead = (await t.ctx.jobs.enqueue(t.ctx.database.db, fragile, {}))!;
    const queued = (await t.ctx.jobs.enqueue(
      t.ctx.database.db,
      fragile,
      {},
      { runAt: new Date('2030-01-01') },
    ))!;
    await t.ctx.runner.drain();
    const list = await api(t, 'GET', '/api/v1/staff/jobs?status=dead', { headers: admin.headers });
    expect(list.body.items.find((j: { id: string }) => j.id === dead)).toMatchObject({
      status: 'dead',
      lastError: 'SM-DP+ unreachable',
    });
    expect(list.body.counts.dead).toBeGreaterThanOrEqual(1);
    fail = false;
    const retried = await api(t, 'POST', `/api/v1/staff/jobs/${dead}/retry`, { headers: admin.headers });
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
    await t.ctx.runner.drain();
    const done = await t.ctx.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', dead)
      .executeTakeFirstOrThrow();
    expect(done.status).toBe('succeeded');
    expect(
      (await api(t, 'POST', `/api/v1/staff/jobs/${dead}/cancel`, { headers: admin.headers })).body.code,
    ).toBe('JOB_NOT_RETRYABLE');
    const cancelled = await api(t, 'POST', `/api/v1/staff/jobs/${queued}/cancel`, { headers: admin.headers });
    expect(cancelled.body.status).toBe('cancelled');
    expect(
      (await api(t, 'POST', `/api/v1/staff/jobs/${queued}/retry`, { headers: agent.headers })).status,
    ).toBe(403);
    const audit = await t.ctx.audit.list({ action: 'job.', limit: 5 });
    expect(audit.items.map((a) => a.action)).toEqual(['job.cancelled', 'job.retried']);
  });

  it('reports service levels per week, as CSV and as Prometheus gauges', async () => {
    const customer = await signIn(t, 'sla@example.com');
    const { body: ticket } = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'SLA', message: 'Timing' },
      headers: customer.headers,
    });
    clock.advance(3 * 3_600_000);
    await api(t, 'POST', `/api/v1/staff/tickets/${ticket.id}/messages`, {
      body: { message: 'Answer' },
      headers: agent.headers,
    });
    const reqs = await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers });
    const open = reqs.body.items[0];
    await t.ctx.cancellation.runChecks(open.id);
    clock.advance(2 * 3_600_000);
    const fresh = (
      await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })
    ).body.items.find((r: { id: string }) => r.id === open.id);
    const rejected = await api(t, 'POST', `/api/v1/staff/cancellations/${open.id}/decision`, {
      body: { decision: 'reject', note: 'Identity could not be confirmed', version: fresh.version },
      headers: reviewer.headers,
    });
    expect(rejected.status).toBe(200);

    const levels = await api(t, 'GET', '/api/v1/staff/reports/service-levels', { headers: agent.headers });
    expect(levels.status).toBe(200);
    const week = levels.body.cancellations.weeks.find((w: { week: string }) => w.week === '2026-11-23');
    expect(week.outcomes.rejected).toBe(1);
    expect(week.decided).toBe(1);
    expect(week.hoursToDecision.max).toBeGreaterThanOrEqual(5);
    expect(levels.body.cancellations.openNow).toBe(1);
    const tickets = levels.body.tickets.weeks.find((w: { week: string }) => w.week === '2026-11-23');
    expect(tickets.answered).toBeGreaterThanOrEqual(1);
    expect(tickets.hoursToFirstResponse.max).toBe(3);

    const csv = await api(t, 'GET', '/api/v1/staff/reports/cancellations.csv', { headers: reviewer.headers });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (csv.body as string)
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe(
      'week_starting,submitted,decided,median_hours_to_decision,p90_hours_to_decision,max_hours_to_decision,approved,info_requested,rejected,withdrawn',
    );
    expect(rows.find((r) => r.startsWith('2026-11-23'))).toMatch(/^2026-11-23,2,1,/);
    expect(
      (await api(t, 'GET', '/api/v1/staff/reports/cancellations.csv', { headers: agent.headers })).status,
    ).toBe(403);

    clock.advance(5 * 86_400_000);
    const metrics = (await api(t, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/cancellation_requests_now\{state="overdue"\} 1/);
    expect(metrics).toMatch(/ticket_first_response_hours\{quantile="1"\} 3/);
    expect(metrics).toMatch(/tickets_now\{state="open"\} \d+/);
  });

  it('filters the audit trail by actor, action prefix and time', async () => {
    const byActor = await api(t, 'GET', `/api/v1/staff/audit?actor=${admin.account.id}&action=staff.`, {
      headers: admin.headers,
    });
    expect(byActor.body.items.length).toBeGreaterThan(0);
    expect(
      byActor.body.items.every(
        (a: { action: string; actor: { id: string } }) =>
          a.action.startsWith('staff.') && a.actor.id === admin.account.id,
      ),
    ).toBe(true);
    const future = await api(t, 'GET', '/api/v1/staff/audit?from=2030-01-01T00:00:00Z', {
      headers: admin.headers,
    });
    expect(future.body.items).toEqual([]);
    expect(
      (await api(t, 'GET', '/api/v1/staff/audit?from=yesterday', { headers: admin.headers })).body.details
        .field,
    ).toBe('from');
  });

  it('lets only an admin suspend or resume a staff account (audited); a suspended one has no staff powers until resumed', async () => {
    const desk = await signInStaff(t, 'desk@operator.example.com', 'agent');
    const customer = await signIn(t, 'lost.phone@example.com');
    const act = (who: Session, id: string, action: 'suspend' | 'resume') =>
      api(t, 'POST', `/api/v1/staff/accounts/${id}/${action}`, { headers: who.headers });
    const staffView = (who: Session) =>
      api(t, 'GET', `/api/v1/staff/accounts/${customer.account.id}`, { headers: who.headers });

    for (const target of [admin, desk])
      expect(await act(agent, target.account.id, 'suspend')).toMatchObject({
        status: 403,
        body: { code: 'FORBIDDEN' },
      });
    expect((await api(t, 'GET', '/api/v1/me', { headers: admin.headers })).body.status).toBe('active');
    expect((await staffView(desk)).status).toBe(200);
    // Agents still suspend subscribers (lost or stolen).
    expect((await act(agent, customer.account.id, 'suspend')).body.status).toBe('suspended');

    expect((await act(admin, desk.account.id, 'suspend')).body).toMatchObject({ status: 'suspended' });
    expect((await staffView(desk)).status).toBe(401);
    const back = await signIn(t, 'desk@operator.example.com');
    expect(back.account).toMatchObject({ role: 'agent', status: 'suspended' });
    expect(await staffView(back)).toMatchObject({ status: 403, body: { code: 'STAFF_SUSPENDED' } });
    expect((await api(t, 'GET', '/api/v1/staff/tickets', { headers: back.headers })).status).toBe(403);
    expect((await api(t, 'GET', '/api/v1/me', { headers: back.headers })).status).toBe(200);
    expect(await act(agent, desk.account.id, 'resume')).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    });
    expect(await staffView(back)).toMatchObject({ status: 403, body: { code: 'STAFF_SUSPENDED' } });

    expect((await act(admin, desk.account.id, 'resume')).body).toMatchObject({ status: 'active' });
    expect((await staffView(back)).status).toBe(200);
    const trail = await t.ctx.audit.list({ accountId: desk.account.id, limit: 20 });
    const changes = trail.items.filter(
      (i) => i.action === 'account.suspended' || i.action === 'account.resumed',
    );
    expect(changes.map((i) => [i.action, i.actor.id])).toEqual([
      ['account.resumed', admin.account.id],
      ['account.suspended', admin.account.id],
    ]);
    expect(changes[1]!.after).toMatchObject({ status: 'suspended', role: 'agent' });
  });

  it('unused EIDs find nobody', async () => {
    const res = await api(t, 'GET', `/api/v1/staff/accounts?q=${deviceEid(424242)}`, {
      headers: agent.headers,
    });
    expect(res.body.items).toEqual([]);
  });
});
