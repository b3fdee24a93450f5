import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { applyToClose } from './helpers/cancellation.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, type Session, signInStaff } from './helpers/session.js';

describeEachDialect('the review queue shows the facts to decide on', (dialect) => {
  let t: TestApp;
  let reviewer: Session;
  let admin: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    await t.ctx.catalog.seedDemo();
    reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
  });
  afterAll(() => t.close());

  /** A subscriber with one line who applied to close, checked by the runner and now in review. */
  async function applied(email: string) {
    const { session, lineId } = await activeLine(t, email, { locale: 'zh-CN' });
    const requestId = await applyToClose(t, session, { reasonCode: 'cost', reason: '太贵了' });
    return { session, lineId, requestId };
  }
  const queue = async () =>
    (await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })).body.items as Array<
      Record<string, any>
    >;
  const decide = (id: string, body: Record<string, unknown>) =>
    api(t, 'POST', `/api/v1/staff/cancellations/${id}/decision`, { body, headers: reviewer.headers });

  it("names the customer (masked), their lines, the whole history with the subscriber's answer, and the checks now", async () => {
    const { session, lineId, requestId } = await applied('lena@example.com');
    expect(
      (await decide(requestId, { decision: 'request_info', note: 'Did you export your data?' })).status,
    ).toBe(200);
    await api(t, 'POST', `/api/v1/me/cancellation/${requestId}/resubmit`, {
      body: { info: '已导出' },
      headers: session.headers,
    });

    const item = (await queue()).find((i) => i.id === requestId)!;
    const me = (await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body;
    expect(item.customer).toEqual({
      contact: 'l***@example.com',
      status: 'cancellation_pending',
      createdAt: me.createdAt,
      lines: [expect.objectContaining({ id: lineId, status: 'active', planName: expect.any(String) })],
    });
    expect(item.customer.lines[0].msisdn).toMatch(/^\+?\d+$/);
    expect(item.events).toEqual([
      expect.objectContaining({ status: 'submitted', actor: 'account', note: null, actorEmail: null }),
      expect.objectContaining({ status: 'in_review', actor: 'system', actorEmail: null }),
      expect.objectContaining({
        status: 'info_requested',
        actor: 'staff',
        note: 'Did you export your data?',
        actorEmail: 'reviewer@operator.example.com',
      }),
      expect.objectContaining({ status: 'in_review', actor: 'account', note: '已导出' }),
    ]);
    expect(item.checks).toMatchObject({ passed: true, blockers: [] });
    expect(item.checksNow).toEqual({ eligible: true, blockers: [] });
  });

  it('shows a blocker that appeared after the automatic checks, in the reviewer’s language', async () => {
    const { session, requestId } = await applied('mo@example.com');
    // A payment still in flight after the checks passed (as a provider's late answer leaves it): the queue says so.
    const me = (await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body;
    const at = new Date().toISOString();
    await t.ctx.database.db
      .insertInto('payments')
      .values({
        id: 'pay_review_facts',
        account_id: me.id,
        provider: 'test',
        provider_ref: null,
        amount: 500,
        currency: 'CNY',
        status: 'pending',
        request_key: null,
        failure: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    const item = (await queue()).find((i) => i.id === requestId)!;
    expect(item.checks).toMatchObject({ passed: true });
    expect(item.checksNow.eligible).toBe(false);
    expect(item.checksNow.blockers).toEqual([
      { code: 'PAYMENT_IN_FLIGHT', message: expect.stringMatching(/payment/i) },
    ]);
  });

  it('lists the latest decisions, newest first, with who took them', async () => {
    const first = await applied('ana@example.com');
    const second = await applied('bo@example.com');
    await decide(first.requestId, { decision: 'approve' });
    await decide(second.requestId, { decision: 'reject', note: 'Unpaid usage is under review' });
    const decided = await api(t, 'GET', '/api/v1/staff/cancellations/decided?limit=2', {
      headers: reviewer.headers,
    });
    expect(decided.status).toBe(200);
    expect(decided.body.items).toEqual([
      expect.objectContaining({
        id: second.requestId,
        contact: 'b***@example.com',
        decision: 'rejected',
        status: 'rejected',
        note: 'Unpaid usage is under review',
        decidedBy: { type: 'staff', email: 'reviewer@operator.example.com' },
      }),
      expect.objectContaining({
        id: first.requestId,
        contact: 'a***@example.com',
        decision: 'approved',
        decidedBy: { type: 'staff', email: 'reviewer@operator.example.com' },
      }),
    ]);
    const agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
    expect(
      (await api(t, 'GET', '/api/v1/staff/cancellations/decided', { headers: agent.headers })).status,
    ).toBe(403);
  });

  it('names staff by their email address in the audit trail, and finds their entries by it', async () => {
    const trail = await api(t, 'GET', '/api/v1/staff/audit?action=cancellation.&limit=100', {
      headers: admin.headers,
    });
    const byStaff = trail.body.items.filter((i: { actor: { type: string } }) => i.actor.type === 'staff');
    expect(byStaff.length).toBeGreaterThan(0);
    for (const entry of byStaff) expect(entry.actor.email).toBe('reviewer@operator.example.com');
    for (const entry of trail.body.items.filter((i: { actor: { type: string } }) => i.actor.type !== 'staff'))
      expect(entry.actor.email).toBeNull();

    const mine = await api(
      t,
      'GET',
      '/api/v1/staff/audit?action=cancellation.&actor=Reviewer@operator.example.com&limit=100',
      {
        headers: admin.headers,
      },
    );
    expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual(
      byStaff.map((i: { id: string }) => i.id),
    );
  });
});
