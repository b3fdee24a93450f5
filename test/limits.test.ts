import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, balanceOf, newKey, type Session, signIn, signInStaff } from './helpers/session.js';

const DAY = 86_400_000;

// Per-person limits that close issue 17's items 7 (goodwill credits split into small ones) and 15
// (exports and tickets without a cap).
describeEachDialect('limits per agent and per subscriber', (dialect) => {
  const clock = new ManualClock('2026-11-23T02:00:00.000Z');
  let t: TestApp;
  let admin: Session;
  let agent: Session;
  let agent2: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN', ADJUSTMENT_APPROVAL_MINOR: '2000' },
    });
    admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
    agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
    agent2 = await signInStaff(t, 'agent2@operator.example.com', 'agent');
  });
  afterAll(() => t.close());

  const credit = (who: Session, customer: Session, amount: number) =>
    api(t, 'POST', `/api/v1/staff/accounts/${customer.account.id}/adjustments`, {
      body: { amount: { amount, currency: 'CNY' }, reason: 'Network outage on 20 Nov' },
      headers: { ...who.headers, 'idempotency-key': newKey() },
    });
  const setPolicies = async (patch: Record<string, number>) => {
    const res = await api(t, 'PATCH', '/api/v1/staff/policies', { body: patch, headers: admin.headers });
    expect(res.status).toBe(200);
  };

  it('sums one agent’s goodwill credits to one account over 24 hours against the approval limit', async () => {
    const customer = await signIn(t, 'split@example.com');
    const other = await signIn(t, 'split-other@example.com');
    expect((await credit(agent, customer, 1500)).body.status).toBe('posted');
    expect((await credit(agent, customer, 500)).body.status).toBe('posted'); // 2,000: at the limit
    // Splitting does not help: 2,100 in 24 hours is above the limit, so this 100 waits for an admin.
    const split = await credit(agent, customer, 100);
    expect(split).toMatchObject({ status: 201, body: { status: 'pending_approval' } });
    expect(await balanceOf(t, customer)).toBe(2000);
    // The sum is per agent and per account.
    expect((await credit(agent2, customer, 1500)).body.status).toBe('posted');
    expect((await credit(agent, other, 1500)).body.status).toBe('posted');
    // An admin's approval is the admin's decision: it does not free the agent's own allowance.
    await api(t, 'POST', `/api/v1/staff/adjustments/${split.body.id}/decision`, {
      body: { decision: 'approve' },
      headers: admin.headers,
    });
    expect((await credit(agent, customer, 100)).body.status).toBe('pending_approval');
    // Admins are not limited.
    expect((await credit(admin, customer, 5000)).body.status).toBe('posted');
    // 24 hours after the first credit, it no longer counts.
    clock.advance(DAY);
    expect((await credit(agent, customer, 1500)).body.status).toBe('posted');
    expect(await balanceOf(t, customer)).toBe(2000 + 100 + 1500 + 5000 + 1500);
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('does not let two credits sent at once both pass under the limit', async () => {
    const customer = await signIn(t, 'race@example.com');
    const answers = await Promise.all([credit(agent, customer, 1500), credit(agent, customer, 1500)]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['pending_approval', 'posted']);
    expect(await balanceOf(t, customer)).toBe(1500);
  });

  it('builds one export at a time per subscriber and at most the policy’s number a day', async () => {
    await setPolicies({ exportsPerDay: 2 });
    const sub = await signIn(t, 'exporter@example.com');
    const ask = () => api(t, 'POST', '/api/v1/me/exports', { headers: sub.headers });
    const [a, b] = await Promise.all([ask(), ask()]);
    expect([a!.status, b!.status].sort()).toEqual([202, 409]);
    const first = a!.status === 202 ? a! : b!;
    const refused = a!.status === 409 ? a! : b!;
    expect(refused.body).toMatchObject({ code: 'EXPORT_IN_PROGRESS', details: { id: first.body.id } });
    expect(typeof refused.body.message).toBe('string');
    await t.ctx.runner.drain();
    const ready = await api(t, 'GET', `/api/v1/me/exports/${first.body.id}`, { headers: sub.headers });
    expect(ready.body.status).toBe('ready');

    clock.advance(60_000);
    expect((await ask()).status).toBe(202);
    await t.ctx.runner.drain();
    const third = await ask();
    expect(third.status).toBe(429);
    const retryAt = new Date(Date.parse(ready.body.createdAt) + DAY).toISOString();
    expect(third.body).toMatchObject({
      code: 'EXPORT_LIMIT_REACHED',
      details: { limit: 'exportsPerDay', max: 2, retryAt },
    });
    expect(third.body.message).toContain('2');
    // Another subscriber is not affected; after 24 hours the first one leaves the count.
    const other = await signIn(t, 'exporter2@example.com');
    expect((await api(t, 'POST', '/api/v1/me/exports', { headers: other.headers })).status).toBe(202);
    clock.set(retryAt);
    expect((await ask()).status).toBe(202);
    await t.ctx.runner.drain();
  });

  it('caps the tickets a subscriber opens in 24 hours with a 429 in the error shape; replies go on', async () => {
    await setPolicies({ ticketsPerDay: 3 });
    const sub = await signIn(t, 'chatty@example.com', { locale: 'zh-CN' });
    const open = (subject: string) =>
      api(t, 'POST', '/api/v1/me/tickets', {
        body: { subject, message: 'My data stopped working' },
        headers: sub.headers,
      });
    const opened: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await open(`Problem ${n}`);
      expect(res.status).toBe(201);
      opened.push(res.body.id);
      clock.advance(60_000);
    }
    const fourth = await open('Problem 4');
    expect(fourth.status).toBe(429);
    const retryAt = new Date(Date.parse((await ticket(sub, opened[0]!)).createdAt) + DAY).toISOString();
    expect(fourth.body).toEqual({
      code: 'TICKET_LIMIT_REACHED',
      message: expect.stringContaining('3'),
      details: { limit: 'ticketsPerDay', max: 3, retryAt },
    });
    expect(fourth.body.message).toMatch(/工单/);
    expect(Number(fourth.headers.get('retry-after'))).toBe(
      Math.ceil((Date.parse(retryAt) - clock.now().getTime()) / 1000),
    );
    const reply = await api(t, 'POST', `/api/v1/me/tickets/${opened[0]}/messages`, {
      body: { message: 'Still broken' },
      headers: sub.headers,
    });
    expect(reply.status).toBe(201);
    expect((await api(t, 'GET', '/api/v1/me/tickets', { headers: sub.headers })).body.items).toHaveLength(3);
    clock.set(retryAt);
    expect((await open('Problem 4')).status).toBe(201);
  });

  async function ticket(sub: Session, id: string) {
    return (await api(t, 'GET', `/api/v1/me/tickets/${id}`, { headers: sub.headers })).body;
  }
});
