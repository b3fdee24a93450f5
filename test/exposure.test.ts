import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPartWarnings, loadConfig } from '../src/config.js';
import { closed, MAX_BODY_DEPTH } from '../src/http/validation.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { api, newKey, type Session, signIn, signInStaff } from './helpers/session.js';

/** Findings of the outside security test about what an exposed instance must refuse (issue 17, items 3, 9–11, 13, 14). */

const STRONG_SECRET = '9c4e1f0b7a3d58e2c6b1f4a09d7e3c5b8a2f6d1e';
const PRODUCTION = {
  ESIMDESK_MODE: 'production',
  ESIMDESK_SECRET: STRONG_SECRET,
  ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
};

/** `depth` arrays inside one another: `[[[…]]]`. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describeEachDialect('exposure: hostile bodies', (dialect) => {
  let t: TestApp;
  let subscriber: Session;
  let staff: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    subscriber = await signIn(t, 'exposure@example.com');
    staff = await signInStaff(t, 'exposure-admin@example.com', 'admin');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses JSON nested thousands of levels deep with 400 on anonymous and signed-in routes', async () => {
    // ~6,000 levels in 12 KB: the body limit lets it through, recursion over it would not survive.
    const deep = `{"channel":"email","to":"a@example.com","x":${'['.repeat(6000)}${']'.repeat(6000)}}`;
    for (const [path, headers] of [
      ['/api/v1/auth/codes', {}],
      ['/api/v1/me/tickets', subscriber.headers],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: deep,
      });
      expect(res.status, path).toBe(400);
      const body = await res.json();
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.details.issues[0].message).toMatch(/deeper than 32/);
    }
    // At the limit itself nothing is refused for depth (the unknown key is what fails).
    const atLimit = await api(t, 'POST', '/api/v1/auth/codes', {
      body: { channel: 'email', to: 'a@example.com', x: nested(MAX_BODY_DEPTH - 1) },
    });
    expect(atLimit.status).toBe(400);
    expect(atLimit.body.details.field).toBe('x');
    expect(atLimit.body.details.issues[0].message).not.toMatch(/deeper/);
  });

  it('refuses a leap second, or any time Date cannot hold, with 400 naming the field', async () => {
    for (const [path, headers] of [
      ['/api/v1/me/ledger?from=2016-12-31T23:59:60Z', subscriber.headers],
      ['/api/v1/me/usage?from=2016-12-31T23:59:60Z', subscriber.headers],
      ['/api/v1/staff/audit?from=2016-12-31T23:59:60Z', staff.headers],
    ] as const) {
      const res = await api(t, 'GET', path, { headers });
      expect(res.status, path).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.field).toBe('from');
    }
    const fine = await api(t, 'GET', '/api/v1/me/ledger?from=2016-12-31T23:59:59Z', {
      headers: subscriber.headers,
    });
    expect(fine.status).toBe(200);
  });

  it('refuses unknown fields in subscriber and staff bodies, naming the field', async () => {
    const code = await api(t, 'POST', '/api/v1/auth/codes', {
      body: { channel: 'email', to: 'extra@example.com', role: 'admin' },
    });
    expect(code.status).toBe(400);
    expect(code.body.details).toMatchObject({ field: 'role', in: 'body' });

    const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
      headers: subscriber.headers,
      body: { subject: 'Hello', message: 'A question about roaming', accountId: 'acc_someone_else' },
    });
    expect(ticket.status).toBe(400);
    expect(ticket.body.details.field).toBe('accountId');

    const topup = await api(t, 'POST', '/api/v1/me/topups', {
      headers: { ...subscriber.headers, 'idempotency-key': newKey() },
      body: { amount: { amount: 1000, currency: 'CNY', bonus: 5 } },
    });
    expect(topup.status).toBe(400);
    expect(topup.body.details.field).toBe('amount.bonus');
  });
});

describe('exposure: every body schema refuses unknown keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('closes the body schema of every subscriber and staff route (ES2+ stays tolerant)', async () => {
    const doc = (await api(t, 'GET', '/api/docs/json')).body as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, { schema?: object }> } }>
      >;
      components?: { schemas?: Record<string, object> };
    };
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
      ajv.addSchema(schema, `#/components/schemas/${name}`);
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema as
          | { type?: string; properties?: object }
          | undefined;
        if (schema?.type !== 'object' || path.startsWith('/gsma/') || path.startsWith('/emulator/')) continue;
        const validate = ajv.compile(closed(schema));
        validate({ zzUnknownField: 1 });
        const unknown = (validate.errors ?? []).some(
          (e) => (e.params as { additionalProperty?: string }).additionalProperty === 'zzUnknownField',
        );
        expect(unknown, `${method.toUpperCase()} ${path}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describeEachDialect('exposure: metrics', (dialect) => {
  it('serves /metrics in production only to the configured bearer token', async () => {
    const demo = await startTestApp(dialect);
    try {
      expect((await fetch(`${demo.url}/metrics`)).status).toBe(200);
    } finally {
      await demo.close();
    }
    const closedMetrics = await startTestApp(dialect, { env: PRODUCTION });
    try {
      expect((await api(closedMetrics, 'GET', '/metrics')).status).toBe(404);
    } finally {
      await closedMetrics.close();
    }
    const token = 'scrape-0f3a9c2e7b14d6a8';
    const guarded = await startTestApp(dialect, { env: { ...PRODUCTION, METRICS_TOKEN: token } });
    try {
      const anonymous = await api(guarded, 'GET', '/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('UNAUTHENTICATED');
      expect(
        (await api(guarded, 'GET', '/metrics', { headers: { authorization: 'Bearer wrong-token-000000' } }))
          .status,
      ).toBe(401);
      const scraped = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('http_request_duration_seconds');
    } finally {
      await guarded.close();
    }
  });
});

describe('exposure: demo parts in production are announced', () => {
  it('gives one loud warning per allowed demo part, and the staff console reads them from /api/v1/meta', () => {
    const config = loadConfig({
      ...PRODUCTION,
      ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments',
      SMTP_URL: 'smtp://relay.example.com:587',
      SMS_GATEWAY_URL: 'https://sms.example.com/send',
    });
    const warnings = demoPartWarnings(config);
    expect(warnings.map((w) => w.part).sort()).toEqual(['smdp-emulator', 'test-payments']);
    for (const warning of warnings) expect(warning.message).toMatch(/^PRODUCTION WITH A DEMO PART/);
    expect(demoPartWarnings(loadConfig({})).map((w) => w.part)).toEqual(['all']);
  });
});
