import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, type Session, signIn, signInStaff } from './helpers/session.js';

describeEachDialect('support tickets', (dialect) => {
  let t: TestApp;
  let agent: Session;
  let agent2: Session;
  let reviewer: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    await t.ctx.catalog.seedDemo();
    agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
    agent2 = await signInStaff(t, 'agent2@operator.example.com', 'agent');
    reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
  });
  afterAll(() => t.close());

  const mailbox = async (to: string) => {
    await t.ctx.runner.drain();
    return (await api(t, 'GET', `/api/v1/dev/messages?to=${encodeURIComponent(to)}`)).body.items as {
      channel: string;
      subject: string | null;
      text: string;
    }[];
  };

  it('runs a conversation: open, queue, answer (customer told in their language), reply, close', async () => {
    const { session, lineId } = await activeLine(t, 'asker@example.com', { locale: 'zh-CN' });
    const opened = await api(t, 'POST', '/api/v1/me/tickets', {
      body: {
        subject: '无法安装 eSIM',
        message: '扫码后提示无法添加',
        category: 'esim',
        related: { type: 'line', id: lineId },
      },
      headers: session.headers,
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      status: 'open',
      category: 'esim',
      related: { type: 'line', id: lineId },
      messages: [{ author: 'subscriber', body: '扫码后提示无法添加', internal: false }],
    });
    const id = opened.body.id;

    const unassigned = await api(t, 'GET', '/api/v1/staff/tickets?view=unassigned', {
      headers: agent.headers,
    });
    expect(unassigned.body.items.map((i: { id: string }) => i.id)).toContain(id);
    expect(unassigned.body.items.find((i: { id: string }) => i.id === id).customer.email).toBe(
      'asker@example.com',
    );

    const note = await api(t, 'POST', `/api/v1/staff/tickets/${id}/messages`, {
      body: { message: 'Looks like a profile already downloaded elsewhere', internal: true },
      headers: agent.headers,
    });
    expect(note.status).toBe(201);
    expect(note.body.status).toBe('open');
    expect(note.body.firstResponseAt).toBeNull();

    const answered = await api(t, 'POST', `/api/v1/staff/tickets/${id}/messages`, {
      body: { message: '请在设置中删除旧的 eSIM 后重试。' },
      headers: agent.headers,
    });
    expect(answered.body).toMatchObject({ status: 'waiting_on_customer', assigneeId: agent.account.id });
    expect(answered.body.firstResponseAt).not.toBeNull();
    expect(answered.body.messages.map((m: { internal: boolean }) => m.internal)).toEqual([
      false,
      true,
      false,
    ]);

    // The subscriber never sees internal notes, nor a staff address or account id.
    const mine = await api(t, 'GET', `/api/v1/me/tickets/${id}`, { headers: session.headers });
    expect(mine.body.messages).toHaveLength(2);
    expect(mine.body.messages[1]).toMatchObject({ author: 'staff', authorName: null });
    expect(JSON.stringify(mine.body)).not.toContain('already downloaded elsewhere');
    expect(mine.body).not.toHaveProperty('assigneeId');
    const listed = await api(t, 'GET', '/api/v1/me/tickets', { headers: session.headers });
    expect(JSON.stringify(listed.body)).not.toContain(agent.account.id);
    const exported = await t.ctx.support.ofAccount(t.ctx.database.db, session.account.id);
    expect(JSON.stringify(exported)).not.toContain(agent.account.id);

    const told = await mailbox('asker@example.com');
    const reply = told.find((m) => m.channel === 'email' && m.subject?.includes('无法安装 eSIM'));
    expect(reply?.subject).toBe('您的工单有新回复：无法安装 eSIM');
    expect(reply?.text).toContain('请在设置中删除旧的 eSIM 后重试。');

    const mineView = await api(t, 'GET', '/api/v1/staff/tickets?view=mine', { headers: agent.headers });
    expect(mineView.body.items.map((i: { id: string }) => i.id)).toContain(id);
    const waiting = await api(t, 'GET', '/api/v1/staff/tickets?view=waiting_on_customer', {
      headers: agent2.headers,
    });
    expect(waiting.body.items.map((i: { id: string }) => i.id)).toContain(id);

    const back = await api(t, 'POST', `/api/v1/me/tickets/${id}/messages`, {
      body: { message: '可以了，谢谢' },
      headers: session.headers,
    });
    expect(back).toMatchObject({ status: 201, body: { status: 'open' } });
    const agentMail = await mailbox('agent@operator.example.com');
    expect(agentMail.some((m) => m.subject === 'Customer replied: 无法安装 eSIM')).toBe(true);

    const closed = await api(t, 'POST', `/api/v1/me/tickets/${id}/close`, { headers: session.headers });
    expect(closed.body).toMatchObject({ status: 'closed' });
    expect(closed.body.closedAt).not.toBeNull();
    const list = await api(t, 'GET', '/api/v1/me/tickets', { headers: session.headers });
    expect(list.body.items[0]).toMatchObject({ id, status: 'closed' });
    expect(list.body.items[0].messages).toBeUndefined();
  });

  it('lets staff assign, reassign and set the status; only staff can be assignees', async () => {
    const customer = await signIn(t, 'assign@example.com');
    const { body } = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'Billing question', message: 'Why was I charged?', category: 'billing' },
      headers: customer.headers,
    });
    const assign = (assigneeId: string | null) =>
      api(t, 'PATCH', `/api/v1/staff/tickets/${body.id}`, { body: { assigneeId }, headers: agent.headers });
    expect((await assign(agent2.account.id)).body.assigneeId).toBe(agent2.account.id);
    expect(await assign(customer.account.id)).toMatchObject({
      status: 400,
      body: { code: 'ASSIGNEE_NOT_STAFF', details: { field: 'assigneeId' } },
    });
    expect((await assign(null)).body.assigneeId).toBeNull();
    const closed = await api(t, 'PATCH', `/api/v1/staff/tickets/${body.id}`, {
      body: { status: 'closed' },
      headers: reviewer.headers,
    });
    expect(closed.body.status).toBe('closed');
    const audit = await t.ctx.audit.list({ subject: body.id, limit: 10 });
    expect(audit.items.map((a) => a.action)).toEqual([
      'ticket.status_changed',
      'ticket.assigned',
      'ticket.assigned',
      'ticket.opened',
    ]);
  });

  it("refuses bad input and other subscribers' tickets", async () => {
    const a = await signIn(t, 'ticket.a@example.com');
    const b = await signIn(t, 'ticket.b@example.com');
    const { body } = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'Mine', message: 'Private' },
      headers: a.headers,
    });
    expect(await api(t, 'GET', `/api/v1/me/tickets/${body.id}`, { headers: b.headers })).toMatchObject({
      status: 404,
      body: { code: 'TICKET_NOT_FOUND' },
    });
    const replyB = await api(t, 'POST', `/api/v1/me/tickets/${body.id}/messages`, {
      body: { message: 'hijack' },
      headers: b.headers,
    });
    expect(replyB.status).toBe(404);
    expect((await api(t, 'GET', '/api/v1/me/tickets', { headers: b.headers })).body.items).toEqual([]);

    const empty = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: '', message: 'x' },
      headers: a.headers,
    });
    expect(empty).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(empty.body.details.field).toBe('subject');
    const huge = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'x', message: 'y'.repeat(5001) },
      headers: a.headers,
    });
    expect(huge.body.details.field).toBe('message');
    const foreign = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'x', message: 'y', related: { type: 'line', id: 'lin_01JZZZZZZZZZZZZZZZZZZZZZZZ' } },
      headers: a.headers,
    });
    expect(foreign).toMatchObject({ status: 404, body: { code: 'RELATED_NOT_FOUND' } });
    const count = await t.ctx.database.db
      .selectFrom('tickets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', a.account.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    // Subscribers cannot reach the staff side.
    expect((await api(t, 'GET', '/api/v1/staff/tickets', { headers: a.headers })).status).toBe(403);
  });
});

describeEachDialect('support tickets after deregistration', (dialect) => {
  it('lets a deregistered subscriber open, read and answer a ticket (questions about the refund or the export)', async () => {
    const t = await startTestApp(dialect);
    try {
      const gone = await signIn(t, 'gone@example.com');
      const tx = t.ctx.database.db;
      await tx.transaction().execute(async (trx) => {
        await t.ctx.identity.changeStatus(trx, gone.account.id, 'cancellation_pending');
        await t.ctx.identity.changeStatus(trx, gone.account.id, 'deregistered');
      });
      // The rest of the account stays closed to them …
      expect((await api(t, 'GET', '/api/v1/me/balance', { headers: gone.headers })).status).toBe(403);
      // … but support stays open.
      const opened = await api(t, 'POST', '/api/v1/me/tickets', {
        headers: gone.headers,
        body: {
          subject: 'Where is my refund?',
          message: 'My account is closed; the refund has not arrived.',
        },
      });
      expect(opened.status).toBe(201);
      const id = opened.body.id as string;
      expect((await api(t, 'GET', `/api/v1/me/tickets/${id}`, { headers: gone.headers })).status).toBe(200);
      const reply = await api(t, 'POST', `/api/v1/me/tickets/${id}/messages`, {
        headers: gone.headers,
        body: { message: 'It was a card payment.' },
      });
      expect(reply.status).toBe(201);
      expect((await api(t, 'GET', '/api/v1/me/tickets', { headers: gone.headers })).body.items).toHaveLength(
        1,
      );
    } finally {
      await t.close();
    }
  });
});
