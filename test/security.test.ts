import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, newKey, type Session, signIn } from './helpers/session.js';

/** A valid body for every subscriber route that names an object by id, so only ownership can refuse it. */
function bodyFor(key: string, ids: { planId: string; addonId: string }): unknown {
  const bodies: Record<string, unknown> = {
    'PUT /api/v1/me/lines/{id}/networks/{country}': { plmn: '44010' },
    'POST /api/v1/me/lines/{id}/plan-change': { planId: ids.planId },
    'POST /api/v1/me/lines/{id}/addons': { addonId: ids.addonId },
    'PATCH /api/v1/me/devices/{id}': { name: 'Stolen' },
    'POST /api/v1/me/cancellation/{id}/resubmit': { info: 'please' },
    'POST /api/v1/me/tickets/{id}/messages': { message: 'hijack' },
  };
  return bodies[key];
}

describeEachDialect('security: one subscriber against another', (dialect) => {
  let t: TestApp;
  let a: Session;
  let bIds: Record<string, string>;
  let plan: { planId: string; addonId: string };
  let paths: { method: string; path: string }[];
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    a = await signIn(t, 'attacker@example.com');
    // B: a line with a bound device, an eSIM, a top-up, a ticket, an export and a cancellation request.
    const b = await activeLine(t, 'victim@example.com');
    const line = (await api(t, 'GET', `/api/v1/me/lines/${b.lineId}`, { headers: b.session.headers })).body;
    const device = (await api(t, 'GET', '/api/v1/me/devices', { headers: b.session.headers })).body.items[0];
    const topup = (
      await api(t, 'POST', '/api/v1/me/topups', {
        body: { amount: 100 },
        headers: { ...b.session.headers, 'idempotency-key': newKey() },
      })
    ).body;
    const ticket = (
      await api(t, 'POST', '/api/v1/me/tickets', {
        body: { subject: 'Private', message: 'My secret' },
        headers: b.session.headers,
      })
    ).body;
    const exported = (await api(t, 'POST', '/api/v1/me/exports', { headers: b.session.headers })).body;
    await t.ctx.runner.drain();
    const victim2 = await signIn(t, 'leaver@example.com');
    const request = (
      await api(t, 'POST', '/api/v1/me/cancellation', {
        body: { reasonCode: 'cost' },
        headers: victim2.headers,
      })
    ).body;
    bIds = {
      line: b.lineId,
      device: device.id,
      esim: line.esim.id,
      topup: topup.id,
      ticket: ticket.id,
      export: exported.id,
      request: request.id,
    };
    const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as { id: string }[];
    const addons = await t.ctx.database.db.selectFrom('addons').select('id').execute();
    plan = { planId: plans[0]!.id, addonId: addons[0]?.id ?? 'add_none' };
    const doc = (await (await fetch(`${t.url}/api/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    paths = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/api/v1/me/') && p.includes('{id}'))
      .flatMap(([p, methods]) =>
        Object.keys(methods)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => ({ method: m.toUpperCase(), path: p })),
      );
  });
  afterAll(() => t.close());

  it("refuses every subscriber route on every one of another subscriber's objects with 404 or 403", async () => {
    expect(paths.length).toBeGreaterThanOrEqual(18);
    const before = await snapshot();
    for (const { method, path } of paths) {
      for (const [kind, id] of Object.entries(bIds)) {
        const query =
          {
            '/api/v1/me/lines/{id}/networks': '?country=JP',
            '/api/v1/me/lines/{id}/plan-change': `?planId=${plan.planId}`,
          }[path] ?? '';
        const url = path.replace('{id}', id).replace('{country}', 'JP') + query;
        const body = bodyFor(`${method} ${path}`, plan);
        const res = await api(t, method, url, {
          body,
          headers: { ...a.headers, 'idempotency-key': newKey() },
        });
        expect(
          [403, 404],
          `${method} ${url} (B's ${kind}) → ${res.status} ${JSON.stringify(res.body)}`,
        ).toContain(res.status);
      }
    }
    // And nothing of B's changed.
    expect(await snapshot()).toEqual(before);
  });

  async function snapshot() {
    const db = t.ctx.database.db;
    const victims = await db
      .selectFrom('accounts')
      .select('id')
      .where('email', 'in', ['victim@example.com', 'leaver@example.com'])
      .execute();
    const ids = victims.map((v) => v.id);
    return {
      lines: await db
        .selectFrom('lines')
        .select(['id', 'status', 'plan_id'])
        .where('account_id', 'in', ids)
        .orderBy('id')
        .execute(),
      devices: await db
        .selectFrom('devices')
        .select(['id', 'name', 'unbound_at'])
        .where('account_id', 'in', ids)
        .orderBy('id')
        .execute(),
      tickets: await db.selectFrom('ticket_messages').select(['id', 'body']).orderBy('id').execute(),
      requests: await db
        .selectFrom('cancellation_requests')
        .select(['id', 'status'])
        .where('account_id', 'in', ids)
        .execute(),
      postings: await db
        .selectFrom('ledger_postings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    };
  }
});

describeEachDialect('security: what the logs never hold', (dialect) => {
  it('logs no one-time code, session token, CSRF token or service key at debug level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await startTestApp(dialect, { env: { LOG_LEVEL: 'trace' }, logDestination: sink });
    try {
      const sent = await api(t, 'POST', '/api/v1/auth/codes', {
        body: { channel: 'email', to: 'logged@example.com' },
      });
      await t.ctx.runner.drain();
      const inbox = (await api(t, 'GET', '/api/v1/dev/messages?to=logged@example.com')).body.items;
      const code = /\b(\d{6})\b/.exec(inbox[0].text)![1]!;
      const res = await fetch(`${t.url}/api/v1/auth/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ challengeId: sent.body.challengeId, code }),
      });
      const session = await res.json();
      const cookies = res.headers.getSetCookie().join('; ');
      const csrf = /esimdesk_csrf=([^;]+)/.exec(cookies)?.[1] ?? '';
      await api(t, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${session.token}` } });
      const { key } = await t.ctx.usage.addServiceKey('mediation');
      await api(t, 'POST', '/api/v1/usage/records', {
        body: { records: [] },
        headers: { authorization: `Bearer ${key}` },
      });
      const log = lines.join('');
      expect(log.length).toBeGreaterThan(1000);
      for (const secret of [code, session.token, csrf, key]) {
        expect(secret.length).toBeGreaterThan(5);
        expect(log).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });
});

describeEachDialect('security: sessions in production mode', (dialect) => {
  it('marks session cookies Secure, never adopts a session id the client brought, and sends strict headers', async () => {
    const t = await startTestApp(dialect, {
      env: {
        ESIMDESK_MODE: 'production',
        ESIMDESK_SECRET: '9c4e1f0b7a3d58e2c6b1f4a09d7e3c5b8a2f6d1e',
        ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
      },
    });
    try {
      const planted = 'esimdesk_session=attacker-chosen-value-0123456789';
      const sent = await api(t, 'POST', '/api/v1/auth/codes', {
        body: { channel: 'email', to: 'fixation@example.com' },
        headers: { cookie: planted },
      });
      await t.ctx.runner.drain();
      const inbox = (await api(t, 'GET', '/api/v1/dev/messages?to=fixation@example.com')).body.items;
      const code = /\b(\d{6})\b/.exec(inbox[0].text)![1]!;
      const res = await fetch(`${t.url}/api/v1/auth/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: planted },
        body: JSON.stringify({ challengeId: sent.body.challengeId, code }),
      });
      expect(res.status).toBe(201);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('esimdesk_session='))!;
      expect(session).toMatch(/; Secure/i);
      expect(session).toMatch(/HttpOnly/i);
      expect(session).not.toContain('attacker-chosen-value');
      expect((await api(t, 'GET', '/api/v1/me', { headers: { cookie: planted } })).status).toBe(401);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      // The session token is in this answer: nothing may keep a copy.
      expect(res.headers.get('cache-control')).toBe('no-store');
    } finally {
      await t.close();
    }
  });
});
