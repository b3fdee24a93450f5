import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { openDatabase } from '../src/db/database.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, latestCode, signIn, signInStaff } from './helpers/session.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describeEachDialect('sign-in, sessions and the account', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock('2026-05-04T09:00:00.000Z');
    t = await startTestApp(dialect, { clock });
  });
  afterEach(() => t.close());

  const requestCode = (to: string, headers: Record<string, string> = {}) =>
    api(t, 'POST', '/api/v1/auth/codes', {
      body: { channel: to.includes('@') ? 'email' : 'sms', to },
      headers,
    });

  it('creates the subscriber on the first email sign-in, in the language of the browser', async () => {
    const session = await signIn(t, '  Li.Wei@Example.com ', {
      headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    expect(session.account).toMatchObject({
      role: 'subscriber',
      status: 'active',
      email: 'li.wei@example.com',
      phone: null,
      locale: 'zh-CN',
    });
    expect(session.account.id).toMatch(/^acc_[0-9A-Z]{26}$/);
    const me = await api(t, 'GET', '/api/v1/me', { headers: session.headers });
    expect(me.status).toBe(200);
    expect(Object.keys(me.body).sort()).toEqual([
      'createdAt',
      'email',
      'id',
      'locale',
      'phone',
      'role',
      'status',
    ]);
    const again = await signIn(t, 'li.wei@example.com');
    expect(again.account.id).toBe(session.account.id);
    const mail = await api(t, 'GET', '/api/v1/dev/messages?to=li.wei@example.com');
    expect(mail.body.items[0]).toMatchObject({ channel: 'email', locale: 'zh-CN' });
    expect(mail.body.items[0].subject).toContain('登录验证码');
  });

  it('signs in by SMS with the phone normalised to E.164', async () => {
    const session = await signIn(t, '138 0013 8000', { locale: 'en' });
    expect(session.account).toMatchObject({ phone: '+8613800138000', email: null, locale: 'en' });
    const sms = await api(t, 'GET', '/api/v1/dev/messages?to=%2B8613800138000');
    expect(sms.body.items[0]).toMatchObject({ channel: 'sms', subject: null });
  });

  it('answers a code request the same way whether or not the account exists', async () => {
    await signIn(t, 'known@example.com');
    const known = await requestCode('known@example.com');
    const unknown = await requestCode('nobody@example.com');
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(Object.keys(known.body).sort()).toEqual(Object.keys(unknown.body).sort());
    expect(Date.parse(known.body.expiresAt) - clock.now().getTime()).toBe(10 * MINUTE);
  });

  it('stores codes hashed and removes them from the outbox once delivered', async () => {
    const sent = await requestCode('hash@example.com');
    const code = await latestCode(t, 'hash@example.com');
    const row = await t.ctx.database.db
      .selectFrom('otp_challenges')
      .selectAll()
      .where('id', '=', sent.body.challengeId)
      .executeTakeFirstOrThrow();
    expect(row.code_hash).not.toContain(code);
    expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
    const message = await t.ctx.database.db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
    expect(message.status).toBe('sent');
    expect(message.text).not.toContain(code);
  });

  it('deletes sign-in codes, wrong-code records and expired sessions once they are a week old (daily job)', async () => {
    const db = t.ctx.database.db;
    const old = await signIn(t, 'old@example.com');
    const sent = await requestCode('guesser@example.com');
    const code = await latestCode(t, 'guesser@example.com');
    const wrong = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: sent.body.challengeId, code: code === '000000' ? '111111' : '000000' },
    });
    expect(wrong.status).toBe(401);
    clock.advance(15 * DAY); // the old session expired after 7 idle days, a week and a day ago
    const fresh = await signIn(t, 'new@example.com');
    const tables = async () => ({
      codes: (await db.selectFrom('otp_challenges').select('target').execute()).map((r) => r.target).sort(),
      failures: (await db.selectFrom('sign_in_failures').select('id').execute()).length,
      sessions: (await db.selectFrom('sessions').select('account_id').execute())
        .map((r) => r.account_id)
        .sort(),
    });
    expect((await tables()).failures).toBe(1);
    expect((await tables()).sessions).toEqual([old.account.id, fresh.account.id].sort());

    await t.ctx.runner.scheduleRecurring();
    await t.ctx.runner.drain();
    expect(await tables()).toEqual({ codes: ['new@example.com'], failures: 0, sessions: [fresh.account.id] });
    expect((await api(t, 'GET', '/api/v1/me', { headers: fresh.headers })).status).toBe(200);
  });

  it('refuses a wrong code, counts attempts and kills the challenge after five', async () => {
    const sent = await requestCode('guess@example.com');
    const code = await latestCode(t, 'guess@example.com');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      const res = await api(t, 'POST', '/api/v1/auth/sessions', {
        body: { challengeId: sent.body.challengeId, code: wrong },
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'INVALID_CODE', details: { attemptsLeft: left } });
    }
    const fifth = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: sent.body.challengeId, code: wrong },
    });
    expect(fifth.status).toBe(429);
    expect(fifth.body.code).toBe('TOO_MANY_ATTEMPTS');
    const right = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: sent.body.challengeId, code },
    });
    expect(right.body.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('refuses expired, reused and unknown challenges', async () => {
    const sent = await requestCode('late@example.com');
    const code = await latestCode(t, 'late@example.com');
    clock.advance(10 * MINUTE);
    const expired = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: sent.body.challengeId, code },
    });
    expect(expired).toMatchObject({ status: 401, body: { code: 'CODE_EXPIRED' } });

    const fresh = await requestCode('late@example.com');
    const freshCode = await latestCode(t, 'late@example.com');
    const ok = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: fresh.body.challengeId, code: freshCode },
    });
    expect(ok.status).toBe(201);
    const reused = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: fresh.body.challengeId, code: freshCode },
    });
    expect(reused).toMatchObject({ status: 401, body: { code: 'CODE_EXPIRED' } });

    const unknown = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: 'chl_01JAAAAAAAAAAAAAAAAAAAAAAA', code: '123456' },
    });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'CHALLENGE_NOT_FOUND' } });
    const malformed = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: fresh.body.challengeId, code: '12ab56' },
    });
    expect(malformed).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', details: { field: 'code' } },
    });
  });

  it('refuses malformed emails and phones and unsupported languages', async () => {
    expect((await requestCode('not-an-email@')).body).toMatchObject({
      code: 'INVALID_EMAIL',
      details: { field: 'to' },
    });
    expect((await requestCode('12')).body).toMatchObject({ code: 'INVALID_PHONE', details: { field: 'to' } });
    const badChannel = await api(t, 'POST', '/api/v1/auth/codes', { body: { channel: 'fax', to: 'x' } });
    expect(badChannel.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'channel' } });
    const sent = await requestCode('lang@example.com');
    const code = await latestCode(t, 'lang@example.com');
    const klingon = await api(t, 'POST', '/api/v1/auth/sessions', {
      body: { challengeId: sent.body.challengeId, code, locale: 'tlh' },
    });
    expect(klingon).toMatchObject({
      status: 400,
      body: { code: 'UNSUPPORTED_LOCALE', details: { field: 'locale' } },
    });
  });

  it('limits codes per address and per IP with Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await requestCode('busy@example.com')).status).toBe(202);
    const limited = await requestCode('busy@example.com');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBe(15 * 60);
    clock.advance(15 * MINUTE + 1000);
    expect((await requestCode('busy@example.com')).status).toBe(202);

    for (let i = 0; i < 19; i++) expect((await requestCode(`ip${i}@example.com`)).status).toBe(202);
    const fromIp = await requestCode('one-more@example.com');
    expect(fromIp.status).toBe(429);
    expect(fromIp.body.details.limit).toBe('ip');
  });

  const codeFrom = (to: string, ip: string) =>
    t.ctx.identity.requestCode({ channel: to.includes('@') ? 'email' : 'sms', to, ip, locale: 'en' });
  const enter = (challengeId: string, code: string) =>
    api(t, 'POST', '/api/v1/auth/sessions', { body: { challengeId, code } });
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
  /** Ten wrong codes for `to`, five per challenge, each challenge asked for from `ip`. */
  async function tenWrongCodes(to: string, ips: [string, string]) {
    for (const ip of ips) {
      clock.advance(1000);
      const challenge = await codeFrom(to, ip);
      const right = await latestCode(t, to);
      for (let i = 0; i < 5; i++) {
        const res = await enter(challenge.challengeId, wrongFor(right));
        expect(res.body.code).toBe(i < 4 ? 'INVALID_CODE' : 'TOO_MANY_ATTEMPTS');
      }
    }
  }

  it('lets the owner get a code from a new address while another address has used up its own (no lock-out)', async () => {
    await signIn(t, 'target@example.com');
    for (let i = 0; i < 5; i++) await codeFrom('target@example.com', '198.51.100.7');
    await expect(codeFrom('target@example.com', '198.51.100.7')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'target' },
    });
    // Messages are read newest first: deliver the others, then a later clock tells the owner's code apart.
    await t.ctx.runner.drain();
    clock.advance(1000);
    const sent = await codeFrom('target@example.com', '203.0.113.20');
    expect((await enter(sent.challengeId, await latestCode(t, 'target@example.com'))).status).toBe(201);
    // Four more attacking addresses at their limit still leave the owner a code...
    for (let ip = 1; ip <= 4; ip++)
      for (let i = 0; i < 5; i++) await codeFrom('target@example.com', `198.51.100.${10 + ip}`);
    await t.ctx.runner.drain();
    clock.advance(1000);
    const again = await codeFrom('target@example.com', '203.0.113.21');
    expect((await enter(again.challengeId, await latestCode(t, 'target@example.com'))).status).toBe(201);
    // ...below a ceiling per address (policy signInCodesPerTarget, 30 per 15 minutes) over all of them.
    await codeFrom('target@example.com', '198.51.100.30');
    await codeFrom('target@example.com', '198.51.100.30');
    await expect(codeFrom('target@example.com', '198.51.100.30')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'targetCeiling' },
    });
    // Past the ceiling, the owner on a network new to this address still gets one code …
    await t.ctx.runner.drain();
    clock.advance(1000);
    const owner = await codeFrom('target@example.com', '203.0.113.22');
    expect((await enter(owner.challengeId, await latestCode(t, 'target@example.com'))).status).toBe(201);
    // … and only one: a second from there counts against the ceiling like any other.
    await expect(codeFrom('target@example.com', '203.0.113.22')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'targetCeiling' },
    });
  });

  it('has no ceiling over all requesting addresses for a staff address, only the per-address limits', async () => {
    await t.ctx.identity.addStaff(
      { email: 'root@operator.example', role: 'admin' },
      { actor: { type: 'system', id: 'test' } },
    );
    for (let ip = 1; ip <= 7; ip++)
      for (let i = 0; i < 5; i++) await codeFrom('root@operator.example', `198.51.100.${ip}`);
    await expect(codeFrom('root@operator.example', '198.51.100.1')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'target' },
    });
    // Deliver the attackers' codes first, so the owner's is the newest message in the mailbox (not
    // one delivered in the same batch at the same instant, whose order would be left to chance).
    await t.ctx.runner.drain();
    clock.advance(1000);
    const own = await codeFrom('root@operator.example', '203.0.113.5');
    expect((await enter(own.challengeId, await latestCode(t, 'root@operator.example'))).status).toBe(201);
  });

  it('past ten wrong codes in 24 hours asks for a fresh code, makes each further try wait longer and tells the owner in their language', async () => {
    await signIn(t, 'guarded@example.com', { locale: 'zh-CN' });
    const early = await codeFrom('guarded@example.com', '203.0.113.20');
    const earlyCode = await latestCode(t, 'guarded@example.com');
    clock.advance(1000);
    // Ten wrong codes from two addresses: the ceiling counts the address over all of them.
    await tenWrongCodes('guarded@example.com', ['198.51.100.1', '198.51.100.2']);
    clock.advance(1000);
    expect(await enter(early.challengeId, earlyCode)).toMatchObject({
      status: 401,
      body: { code: 'FRESH_CODE_REQUIRED', details: { field: 'challengeId' } },
    });
    const fresh = await codeFrom('guarded@example.com', '203.0.113.20');
    const code = await latestCode(t, 'guarded@example.com');
    const wait = await enter(fresh.challengeId, code);
    expect(wait).toMatchObject({
      status: 429,
      body: { code: 'RATE_LIMITED', details: { limit: 'failures' } },
    });
    expect(Number(wait.headers.get('retry-after'))).toBe(59);
    clock.advance(60_000);
    expect((await enter(fresh.challengeId, wrongFor(code))).body.code).toBe('INVALID_CODE');
    const longer = await enter(fresh.challengeId, code);
    expect(longer.status).toBe(429);
    expect(Number(longer.headers.get('retry-after'))).toBe(120);
    clock.advance(120_000);
    expect((await enter(fresh.challengeId, code)).status).toBe(201);
    await t.ctx.runner.drain();
    const mail = (await api(t, 'GET', '/api/v1/dev/messages?to=guarded@example.com')).body.items;
    const notices = mail.filter((m: { subject: string | null }) => m.subject?.includes('多次登录失败'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ locale: 'zh-CN' });
    expect(notices[0].text).toContain('10');
    // A day later the count has rolled off.
    clock.advance(DAY);
    const next = await codeFrom('guarded@example.com', '198.51.100.1');
    expect((await enter(next.challengeId, await latestCode(t, 'guarded@example.com'))).status).toBe(201);
  });

  it('never locks a staff address out: wrong codes count per requesting address, and admins are alerted', async () => {
    await signInStaff(t, 'boss@operator.example', 'admin');
    const desk = await t.ctx.identity.addStaff(
      { email: 'desk@operator.example', role: 'agent' },
      { actor: { type: 'system', id: 'test' } },
    );
    await tenWrongCodes('desk@operator.example', ['198.51.100.9', '198.51.100.9']);
    clock.advance(1000);
    const there = await codeFrom('desk@operator.example', '198.51.100.9');
    const blocked = await enter(there.challengeId, await latestCode(t, 'desk@operator.example'));
    expect(blocked).toMatchObject({
      status: 429,
      body: { code: 'RATE_LIMITED', details: { limit: 'failures' } },
    });
    clock.advance(1000);
    const own = await codeFrom('desk@operator.example', '203.0.113.30');
    expect((await enter(own.challengeId, await latestCode(t, 'desk@operator.example'))).status).toBe(201);
    const audit = await t.ctx.audit.list({
      accountId: desk.id,
      action: 'security.staff_sign_in_failures',
      limit: 5,
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      actor: { type: 'system' },
      after: { failures: 10, addresses: ['198.51.100.9'], addressCount: 1 },
    });
    await t.ctx.runner.drain();
    const adminMail = (await api(t, 'GET', '/api/v1/dev/messages?to=boss@operator.example')).body.items;
    expect(adminMail.some((m: { text: string }) => m.text.includes('desk@operator.example'))).toBe(true);
  });

  it('refuses missing, forged and signed-out tokens', async () => {
    expect((await api(t, 'GET', '/api/v1/me')).body.code).toBe('UNAUTHENTICATED');
    const forged = await api(t, 'GET', '/api/v1/me', {
      headers: { authorization: `Bearer ${'A'.repeat(43)}` },
    });
    expect(forged).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    const session = await signIn(t, 'leaver@example.com');
    expect((await api(t, 'DELETE', '/api/v1/auth/session', { headers: session.headers })).status).toBe(204);
    expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).status).toBe(401);
  });

  it('keeps a session alive while used, ends it after a week idle and after 30 days in any case', async () => {
    const session = await signIn(t, 'slide@example.com');
    for (let i = 0; i < 4; i++) {
      clock.advance(6 * DAY);
      expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).status).toBe(200);
    }
    clock.advance(6 * DAY + 1);
    expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).status).toBe(401);

    const idle = await signIn(t, 'idle@example.com');
    clock.advance(7 * DAY + 1);
    expect((await api(t, 'GET', '/api/v1/me', { headers: idle.headers })).status).toBe(401);
  });

  it('takes the cookie session and demands the CSRF token for writes made with it', async () => {
    const sent = await requestCode('cookie@example.com');
    const code = await latestCode(t, 'cookie@example.com');
    const res = await fetch(`${t.url}/api/v1/auth/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId: sent.body.challengeId, code }),
    });
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('esimdesk_session='))!;
    const csrf = cookies.find((c) => c.startsWith('esimdesk_csrf='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(session).not.toMatch(/Secure/);
    expect(csrf).not.toMatch(/HttpOnly/i);
    const cookieHeader = [session, csrf].map((c) => c.split(';')[0]).join('; ');
    const csrfValue = csrf.split(';')[0]!.split('=')[1]!;

    expect((await api(t, 'GET', '/api/v1/me', { headers: { cookie: cookieHeader } })).status).toBe(200);
    const noToken = await api(t, 'PATCH', '/api/v1/me', {
      body: { locale: 'zh-CN' },
      headers: { cookie: cookieHeader },
    });
    expect(noToken).toMatchObject({ status: 403, body: { code: 'CSRF_FAILED' } });
    const wrongToken = await api(t, 'PATCH', '/api/v1/me', {
      body: { locale: 'zh-CN' },
      headers: { cookie: cookieHeader, 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrongToken.status).toBe(403);
    const ok = await api(t, 'PATCH', '/api/v1/me', {
      body: { locale: 'zh-CN' },
      headers: { cookie: cookieHeader, 'x-csrf-token': csrfValue },
    });
    expect(ok).toMatchObject({ status: 200, body: { locale: 'zh-CN' } });
  });

  it('changes the language, refuses one it does not have, and speaks it in errors', async () => {
    const session = await signIn(t, 'polyglot@example.com');
    const changed = await api(t, 'PATCH', '/api/v1/me', {
      body: { locale: 'zh-CN' },
      headers: session.headers,
    });
    expect(changed.body.locale).toBe('zh-CN');
    const bad = await api(t, 'PATCH', '/api/v1/me', { body: { locale: 'xx-YY' }, headers: session.headers });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'UNSUPPORTED_LOCALE', message: '不支持该语言。' });
  });

  it('revokes every session of an account in one call', async () => {
    const a = await signIn(t, 'many@example.com');
    const b = await signIn(t, 'many@example.com');
    const revoked = await t.ctx.identity.revokeAllSessions(t.ctx.database.db, a.account.id, undefined);
    expect(revoked).toBe(2);
    for (const s of [a, b])
      expect((await api(t, 'GET', '/api/v1/me', { headers: s.headers })).status).toBe(401);
  });

  it('signs staff in through the same flow and shows admins the audit trail', async () => {
    const admin = await signInStaff(t, 'Admin@Operator.example.com', 'admin');
    expect(admin.account).toMatchObject({ role: 'admin', email: 'admin@operator.example.com' });
    const subscriber = await signIn(t, 'sub@example.com');
    await api(t, 'PATCH', '/api/v1/me', { body: { locale: 'zh-CN' }, headers: subscriber.headers });

    const trail = await api(t, 'GET', `/api/v1/staff/audit?account=${subscriber.account.id}`, {
      headers: admin.headers,
    });
    expect(trail.status).toBe(200);
    const actions = trail.body.items.map((i: { action: string }) => i.action);
    expect(actions).toEqual(['account.locale_changed', 'session.created', 'account.created']);
    expect(trail.body.items[0]).toMatchObject({
      before: { locale: 'en' },
      after: { locale: 'zh-CN' },
      actor: { type: 'account', id: subscriber.account.id },
    });
    expect(trail.body.items[0].requestId).toEqual(expect.any(String));

    const paged = await api(t, 'GET', `/api/v1/staff/audit?account=${subscriber.account.id}&limit=2`, {
      headers: admin.headers,
    });
    expect(paged.body.items).toHaveLength(2);
    const rest = await api(
      t,
      'GET',
      `/api/v1/staff/audit?account=${subscriber.account.id}&limit=2&cursor=${paged.body.nextCursor}`,
      { headers: admin.headers },
    );
    expect(rest.body.items.map((i: { action: string }) => i.action)).toEqual(['account.created']);
    expect(rest.body.nextCursor).toBeNull();

    expect((await api(t, 'GET', '/api/v1/staff/audit', { headers: subscriber.headers })).status).toBe(403);
    await expect(
      t.ctx.identity.addStaff(
        { email: 'sub@example.com', role: 'agent' },
        { actor: { type: 'system', id: 'test' } },
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('adds a phone to an email account once its code is confirmed, and then tells both', async () => {
    const me = await signIn(t, 'two.ways@example.com', { locale: 'zh-CN' });
    const sent = await api(t, 'POST', '/api/v1/me/contact/codes', {
      body: { channel: 'sms', to: '139 0000 2222' },
      headers: me.headers,
    });
    expect(sent.status).toBe(202);
    const code = await latestCode(t, '+8613900002222');
    const sms = (await api(t, 'GET', '/api/v1/dev/messages?to=%2B8613900002222')).body.items[0];
    expect(sms.locale).toBe('zh-CN');
    expect(sms.text).toContain('添加此号码');
    const wrong = await api(t, 'POST', '/api/v1/me/contact', {
      body: { challengeId: sent.body.challengeId, code: code === '000000' ? '111111' : '000000' },
      headers: me.headers,
    });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'INVALID_CODE' } });
    const added = await api(t, 'POST', '/api/v1/me/contact', {
      body: { challengeId: sent.body.challengeId, code },
      headers: me.headers,
    });
    expect(added).toMatchObject({
      status: 200,
      body: { email: 'two.ways@example.com', phone: '+8613900002222' },
    });
    const again = await api(t, 'POST', '/api/v1/me/contact/codes', {
      body: { channel: 'sms', to: '+8613900003333' },
      headers: me.headers,
    });
    expect(again.body.code).toBe('CONTACT_ALREADY_SET');
    // The number now signs in to the same account.
    expect((await signIn(t, '+8613900002222')).account.id).toBe(me.account.id);
    const audit = await t.ctx.audit.list({
      accountId: me.account.id,
      action: 'account.contact_added',
      limit: 5,
    });
    expect(audit.items).toHaveLength(1);
    expect(JSON.stringify(audit.items[0])).not.toContain('13900002222');
  });

  it('answers a contact that belongs to someone else (staff included) as a free one until its code is entered', async () => {
    const me = await signIn(t, '+8613900005555');
    await signIn(t, 'owner@example.com');
    await t.ctx.identity.addStaff(
      { email: 'agent@operator.example', role: 'agent' },
      { actor: { type: 'system', id: 'test' } },
    );
    const ask = (to: string) =>
      api(t, 'POST', '/api/v1/me/contact/codes', { body: { channel: 'email', to }, headers: me.headers });
    const free = await ask('free@example.com');
    const answers = [await ask('owner@example.com'), await ask('Agent@Operator.example')];
    expect(free.status).toBe(202);
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(Object.keys(answer.body).sort()).toEqual(Object.keys(free.body).sort());
    }
    // Only the owner of the address gets the code; entering it is what finally says "in use".
    for (const [to, answer] of [
      ['owner@example.com', answers[0]!],
      ['agent@operator.example', answers[1]!],
    ] as const) {
      const code = await latestCode(t, to);
      const confirmed = await api(t, 'POST', '/api/v1/me/contact', {
        body: { challengeId: answer.body.challengeId, code },
        headers: me.headers,
      });
      expect(confirmed).toMatchObject({
        status: 409,
        body: { code: 'CONTACT_IN_USE', details: { field: 'challengeId' } },
      });
    }
    expect((await api(t, 'GET', '/api/v1/me', { headers: me.headers })).body).toMatchObject({
      email: null,
      phone: '+8613900005555',
    });
  });

  it('keeps the audit trail append-only in the database itself', async () => {
    await signIn(t, 'audited@example.com');
    await expect(
      t.ctx.database.db.updateTable('audit_log').set({ action: 'forged' }).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(t.ctx.database.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
  });
});

describeEachDialect('the session cache', (dialect) => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Revokes every session as another API process would: through a connection of its own. */
  async function revokeElsewhere(t: TestApp) {
    const other = openDatabase(t.db.config);
    try {
      await other.db.updateTable('sessions').set({ revoked_at: new Date().toISOString() }).execute();
    } finally {
      await other.close();
    }
  }

  it('sees a suspension or a sign-out made in this process at once', async () => {
    const t = await startTestApp(dialect, { env: { SESSION_CACHE_MS: '10000' } });
    try {
      const staff = await signInStaff(t, 'ops@example.com', 'admin');
      const sub = await signIn(t, 'cached@example.com');
      expect((await api(t, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(200);
      expect((await api(t, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(200);
      await t.ctx.suspension.suspend(sub.account.id, {
        actor: { type: 'staff', id: staff.account.id },
        requestId: 'req',
      });
      expect((await api(t, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(401);
      const again = await signIn(t, 'cached2@example.com');
      expect((await api(t, 'GET', '/api/v1/me', { headers: again.headers })).status).toBe(200);
      expect((await api(t, 'DELETE', '/api/v1/auth/session', { headers: again.headers })).status).toBe(204);
      expect((await api(t, 'GET', '/api/v1/me', { headers: again.headers })).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('takes a change made by another process within SESSION_CACHE_MS, and at once when it is 0', async () => {
    const t = await startTestApp(dialect, { env: { SESSION_CACHE_MS: '600' } });
    try {
      const sub = await signIn(t, 'elsewhere@example.com');
      expect((await api(t, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(200);
      await revokeElsewhere(t);
      // This process has not heard of it yet: the principal it read a moment ago still stands...
      expect((await api(t, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(200);
      await sleep(650);
      // ...for no longer than SESSION_CACHE_MS.
      expect((await api(t, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(401);
    } finally {
      await t.close();
    }
    const uncached = await startTestApp(dialect, { env: { SESSION_CACHE_MS: '0' } });
    try {
      const sub = await signIn(uncached, 'uncached@example.com');
      expect((await api(uncached, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(200);
      await revokeElsewhere(uncached);
      expect((await api(uncached, 'GET', '/api/v1/me', { headers: sub.headers })).status).toBe(401);
    } finally {
      await uncached.close();
    }
  });
});
