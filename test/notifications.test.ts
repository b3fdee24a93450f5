import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { linkOf, render } from '../src/modules/notifications/templates.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, newKey, signIn, topUp } from './helpers/session.js';
import { freePort, startSmtpPeer } from './helpers/smtp.js';

const HOUR = 60 * 60 * 1000;

describeEachDialect('notifications over real SMTP and an SMS gateway', (dialect) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });

  async function app(
    env: Record<string, string>,
    clock = new ManualClock('2026-05-04T09:00:00.000Z'),
  ): Promise<TestApp> {
    const t = await startTestApp(dialect, { env, clock });
    cleanup.push(() => t.close());
    return t;
  }

  it('sends the sign-in code through SMTP, and the code read back from the mail signs in', async () => {
    const peer = await startSmtpPeer();
    cleanup.push(() => peer.close());
    const t = await app({
      SMTP_URL: `smtp://127.0.0.1:${peer.port}`,
      SMTP_FROM: 'Skyline <no-reply@skyline.example.com>',
      BRAND_NAME: 'Skyline',
    });
    const sent = await api(t, 'POST', '/api/v1/auth/codes', {
      body: { channel: 'email', to: 'traveller@example.com' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(sent.status).toBe(202);
    await t.ctx.runner.drain();

    expect(peer.received).toHaveLength(1);
    const mail = peer.received[0]!;
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('traveller@example.com');
    expect(mail.from?.text).toContain('no-reply@skyline.example.com');
    expect(mail.subject).toMatch(/^您的Skyline登录验证码：\d{6}$/);
    expect(mail.html).toContain('<h2');
    const code = /(\d{6})/.exec(mail.text ?? '')![1]!;
    const session = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: sent.body.challengeId, code },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(session.status).toBe(201);
    expect(session.body.account.locale).toBe('zh-CN');
  });

  it('retries while the SMTP relay is down and delivers exactly once when it is back', async () => {
    const port = await freePort();
    const clock = new ManualClock('2026-05-04T09:00:00.000Z');
    const t = await app({ SMTP_URL: `smtp://127.0.0.1:${port}` }, clock);
    await api(t, 'POST', '/api/v1/auth/codes', { body: { channel: 'email', to: 'patient@example.com' } });

    for (let i = 0; i < 3; i++) {
      await t.ctx.runner.drain();
      clock.advance(HOUR);
    }
    const failed = await t.ctx.database.db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);

    const peer = await startSmtpPeer(port);
    cleanup.push(() => peer.close());
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    expect(peer.received).toHaveLength(1);
    const sent = await t.ctx.database.db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
    expect(sent).toMatchObject({ status: 'sent', attempts: 4, last_error: null });
  });

  it('posts SMS to the HTTP gateway with its key, retrying a 5xx', async () => {
    const calls: Array<{
      auth: string | undefined;
      key: string | undefined;
      body: { id: string; to: string; text: string };
    }> = [];
    let failNext = 1;
    const gateway = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        calls.push({
          auth: req.headers.authorization,
          key: req.headers['idempotency-key'] as string,
          body: JSON.parse(raw),
        });
        res.statusCode = failNext-- > 0 ? 503 : 200;
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => gateway.close(resolve)));
    const clock = new ManualClock('2026-05-04T09:00:00.000Z');
    const port = (gateway.address() as AddressInfo).port;
    const t = await app(
      { SMS_GATEWAY_URL: `http://127.0.0.1:${port}/send`, SMS_GATEWAY_KEY: 'gw-secret' },
      clock,
    );
    expect(
      (await api(t, 'POST', '/api/v1/auth/codes', { body: { channel: 'sms', to: '+447911123456' } })).status,
    ).toBe(202);
    await t.ctx.runner.drain();
    clock.advance(HOUR);
    await t.ctx.runner.drain();

    expect(calls).toHaveLength(2);
    expect(calls[0]!.key).toBe(calls[1]!.key);
    expect(calls[1]).toMatchObject({ auth: 'Bearer gw-secret', body: { to: '+447911123456' } });
    expect(calls[1]!.body.text).toMatch(/\d{6}/);
    const message = await t.ctx.database.db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
    expect(message.status).toBe('sent');
    // Real channels configured: nothing lands in the dev mailbox.
    expect((await api(t, 'GET', '/api/v1/dev/messages?to=%2B447911123456')).body.items).toEqual([]);
  });
});

describeEachDialect('notices queued by a transaction, written out by the runner', (dialect) => {
  let t: TestApp;
  afterEach(() => t.close());

  it('keeps the money transaction to one queued job; the runner renders each notice into messages once', async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    const alice = await signIn(t, 'alice@example.com');
    await signIn(t, '+8613800138001', { locale: 'zh-CN' });
    await topUp(t, alice, 5_000);
    await t.ctx.runner.drain();
    const count = async (table: 'messages' | 'jobs', kind?: string) => {
      let q = t.ctx.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
      if (kind) q = q.where('kind' as never, '=', kind as never);
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    const messagesBefore = await count('messages');
    const transfer = await api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: '+8613800138001', amount: { amount: 1_200, currency: 'CNY' } },
      headers: { ...alice.headers, 'idempotency-key': newKey() },
    });
    expect(transfer.status).toBe(201);
    // The transfer's transaction wrote one fan-out job and no messages.
    expect(await count('messages')).toBe(messagesBefore);
    const [fanout] = await t.ctx.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'notifications.fanout')
      .where('status', '=', 'queued')
      .execute();
    expect(JSON.parse(fanout!.payload).notices).toHaveLength(2);

    await t.ctx.runner.drain();
    // Alice: email only (no phone); Bob: SMS only, in Chinese.
    expect(await count('messages')).toBe(messagesBefore + 2);
    const done = await t.ctx.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', fanout!.id)
      .executeTakeFirstOrThrow();
    expect(done.status).toBe('succeeded');
    expect(JSON.parse(done.payload)).toEqual({ notices: [] }); // the addresses live on in the messages only
    const sms = await api(t, 'GET', '/api/v1/dev/messages?to=%2B8613800138001');
    expect(sms.body.items[0]).toMatchObject({ locale: 'zh-CN', channel: 'sms' });
    expect(sms.body.items[0].text).toContain('12.00');

    // Run again (as after a crash between its commit and the runner's bookkeeping): nothing more.
    const definition = t.ctx.jobs.definition('notifications.fanout')!;
    await definition.handle(JSON.parse(fanout!.payload), {
      job: { ...fanout!, status: 'running' },
      signal: new AbortController().signal,
    });
    expect(await count('messages')).toBe(messagesBefore + 2);
  });
});

describeEachDialect('notifications link to the page they talk about', (dialect) => {
  it('ends emails and SMS with the web app page of what they are about, never for sign-in codes', async () => {
    const t = await startTestApp(dialect, { env: { PUBLIC_URL: 'https://esim.example-operator.com' } });
    try {
      const email = await signIn(t, 'linked@example.com');
      await topUp(t, email, 500);
      await t.ctx.runner.drain();
      const mails = (await api(t, 'GET', '/api/v1/dev/messages?to=linked@example.com')).body.items as Array<{
        subject: string | null;
        text: string;
        html: string | null;
      }>;
      const topup = mails.find((m) => /500|5\.00/.test(m.subject ?? ''))!;
      expect(topup.text).toContain('https://esim.example-operator.com/wallet');
      expect(topup.html).toContain('href="https://esim.example-operator.com/wallet"');
      const code = mails.find((m) => /\b\d{6}\b/.test(m.text))!;
      expect(code.text).not.toContain('https://esim.example-operator.com/');
    } finally {
      await t.close();
    }
  });

  it('fills the page from the message (a ticket answer opens that ticket)', () => {
    const params = {
      brand: 'Example',
      publicUrl: 'https://x.example',
      ticketId: 'tkt_01ABC',
      subject: 'Roaming',
      excerpt: 'Yes',
    };
    expect(linkOf('ticket_reply', params)).toBe('https://x.example/help/tkt_01ABC');
    expect(render('ticket_reply', 'sms', 'zh-CN', params).text).toMatch(
      / https:\/\/x\.example\/help\/tkt_01ABC$/,
    );
    // A link whose param is missing is left out rather than pointing somewhere wrong.
    expect(linkOf('esim_ready', { brand: 'Example', publicUrl: 'https://x.example' })).toBeNull();
    expect(linkOf('sign_in_code', params)).toBeNull();
  });
});
