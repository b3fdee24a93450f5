import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, type Session, signIn } from './helpers/session.js';

/** What people type (ticket subjects and messages here; every body of the API is checked the same way). */
describeEachDialect('text a person types', (dialect) => {
  let t: TestApp;
  let alice: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    alice = await signIn(t, `typist.${dialect}@example.com`);
  });
  afterAll(() => t?.close());

  const open = (body: { subject: string; message: string }) =>
    api(t, 'POST', '/api/v1/me/tickets', { body, headers: alice.headers });
  const tickets = async () =>
    (await api(t, 'GET', '/api/v1/me/tickets', { headers: alice.headers })).body.items;

  it.each([
    ['a bell', 'message', 'ring\u0007'],
    ['a terminal escape', 'message', 'red \u001b[31mtext'],
    ['DEL', 'subject', 'a\u007fb'],
    ['a C1 control', 'subject', 'a\u009bb'],
    ['a right-to-left override', 'subject', 'invoice \u202Efdp.exe'],
    ['a directional isolate', 'message', 'a \u2066b\u2069'],
    ['half a surrogate pair', 'message', 'broken \ud800 pair'],
  ])('refuses %s in the %s with 400 naming the field, and stores nothing', async (_what, field, text) => {
    const before = (await tickets()).length;
    const body = { subject: 'Help', message: 'Hello', [field]: text };
    const res = await open(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: {
        field,
        issues: [{ field, message: 'must not contain control or text-direction characters' }],
      },
    });
    expect((await tickets()).length).toBe(before);
  });

  it.each([
    ['spaces', 'subject', '   '],
    ['line breaks and tabs', 'message', '\n\t \r\n'],
    ['a byte-order mark', 'subject', '\ufeff'],
  ])('refuses a %s-only %s as blank with 400 naming the field', async (_what, field, text) => {
    const res = await open({ subject: 'Help', message: 'Hello', [field]: text });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    expect(res.body.details.issues[0].message).toBe('must not be blank');
  });

  it('keeps what people really write: lines, tabs, emoji sequences, right-to-left and CJK text', async () => {
    const message = 'Line one\n\tindented\r\n👩‍👩‍👧 family · 家人 · مرحبا\u200f 123';
    const res = await open({ subject: '  无法安装 eSIM 😀  ', message });
    expect(res.status).toBe(201);
    const thread = await api(t, 'GET', `/api/v1/me/tickets/${res.body.id}`, { headers: alice.headers });
    expect(thread.body.subject).toBe('无法安装 eSIM 😀');
    expect(thread.body.messages[0].body).toBe(message);
    const reply = await api(t, 'POST', `/api/v1/me/tickets/${res.body.id}/messages`, {
      body: { message: ' \u202E ' },
      headers: alice.headers,
    });
    expect(reply.status).toBe(400);
    expect(reply.body.details.field).toBe('message');
  });
});
