import SwaggerParser from '@apidevtools/swagger-parser';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';

function expectErrorShape(body: unknown, code: string) {
  expect(body).toMatchObject({ code, message: expect.any(String), details: expect.any(Object) });
  expect((body as { message: string }).message.length).toBeGreaterThan(0);
}

describeEachDialect('HTTP foundation', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, {
      register: (app) => {
        app.post(
          '/api/v1/test/echo',
          {
            config: { access: 'public' },
            schema: {
              body: Type.Object({
                amount: Type.Integer({ minimum: 1 }),
                currency: Type.String({ pattern: '^[A-Z]{3}$' }),
              }),
              querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
            },
          },
          async (request) => ({ body: request.body, query: request.query }),
        );
        app.get('/api/v1/test/broken', { config: { access: 'public' } }, async () => {
          await sql`select secret_column from table_that_does_not_exist`.execute(t.ctx.database.db);
          return {};
        });
      },
    });
  });
  afterAll(() => t.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('answers /healthz and sets a request id', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'lb-1234' } });
    expect(echoed.headers.get('x-request-id')).toBe('lb-1234');
    const hostile = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(hostile.headers.get('x-request-id')).not.toBe('x'.repeat(200));
  });

  it('reports ready with the schema at the latest migration', async () => {
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ready', database: 'up', schema: { pending: [] } });
    expect(body.schema.current).toBe(body.schema.latest);
  });

  it('answers an unknown route with 404 NOT_FOUND in the error shape', async () => {
    const res = await fetch(`${t.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expectErrorShape(await res.json(), 'NOT_FOUND');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await post('/api/v1/test/echo', '{"amount": 5,');
    expect(res.status).toBe(400);
    expectErrorShape(await res.json(), 'MALFORMED_JSON');
  });

  it('answers a schema violation with 400 VALIDATION_FAILED naming the field', async () => {
    const wrongType = await post('/api/v1/test/echo', JSON.stringify({ amount: '5', currency: 'EUR' }));
    expect(wrongType.status).toBe(400);
    const body = await wrongType.json();
    expectErrorShape(body, 'VALIDATION_FAILED');
    expect(body.details).toMatchObject({ field: 'amount', in: 'body' });

    const missing = await (await post('/api/v1/test/echo', JSON.stringify({ amount: 5 }))).json();
    expect(missing.details.field).toBe('currency');

    const query = await post('/api/v1/test/echo?limit=1000', JSON.stringify({ amount: 5, currency: 'EUR' }));
    expect(query.status).toBe(400);
    expect((await query.json()).details).toMatchObject({ field: 'limit', in: 'querystring' });

    const ok = await post('/api/v1/test/echo?limit=10', JSON.stringify({ amount: 5, currency: 'EUR' }));
    expect(await ok.json()).toEqual({ body: { amount: 5, currency: 'EUR' }, query: { limit: 10 } });
  });

  it('refuses prototype-pollution keys', async () => {
    const res = await post(
      '/api/v1/test/echo',
      '{"amount": 5, "currency": "EUR", "__proto__": {"admin": true}}',
    );
    expect(res.status).toBe(400);
    expect((await res.json()).code).toMatch(/^(MALFORMED_JSON|VALIDATION_FAILED)$/);
  });

  it('refuses the NUL character in any field with 400 naming the field (PostgreSQL cannot store it)', async () => {
    const res = await post('/api/v1/test/echo', JSON.stringify({ amount: 5, currency: 'E\u0000UR' }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expectErrorShape(body, 'VALIDATION_FAILED');
    expect(body.details.field).toBe('currency');
  });

  it('answers a path the router cannot take apart in the error shape, with the usual headers', async () => {
    const tooLong = await fetch(`${t.url}/api/v1/me/tickets/${'x'.repeat(600)}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN' },
      body: JSON.stringify({ message: 'hello' }),
    });
    const badEncoding = await fetch(`${t.url}/api/v1/me/lines/%ZZ`);
    for (const [res, status, code, language] of [
      [tooLong, 404, 'NOT_FOUND', /[\u4e00-\u9fff]/],
      [badEncoding, 400, 'MALFORMED_REQUEST', /^[\x20-\x7e]+$/],
    ] as const) {
      expect(res.status).toBe(status);
      const body = await res.json();
      expectErrorShape(body, code);
      expect(body.message).toMatch(language); // in the language the client asked for
      expect(JSON.stringify(body)).not.toMatch(/FST_|xxxxxxxx|%ZZ/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('answers a request whose headers are too large in the error shape (431)', async () => {
    const res = await fetch(`${t.url}/healthz?${'q'.repeat(40_000)}`);
    expect(res.status).toBe(431);
    expectErrorShape(await res.json(), 'HEADERS_TOO_LARGE');
  });

  it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await post(
      '/api/v1/test/echo',
      JSON.stringify({ amount: 5, currency: 'EUR', pad: 'x'.repeat(2_000_000) }),
    );
    expect(res.status).toBe(413);
    expectErrorShape(await res.json(), 'PAYLOAD_TOO_LARGE');
  });

  it('masks unexpected failures as 500 INTERNAL without stack or SQL', async () => {
    const res = await fetch(`${t.url}/api/v1/test/broken`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expectErrorShape(JSON.parse(text), 'INTERNAL');
    expect(text).not.toMatch(/table_that_does_not_exist|secret_column|select|at \w+ \(/i);
  });

  it('writes error messages in the language asked for', async () => {
    const res = await fetch(`${t.url}/api/v1/nothing-here`, {
      headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    expect((await res.json()).message).toBe('未找到相关内容。');
  });

  it('exposes the request duration histogram by route and status', async () => {
    await fetch(`${t.url}/healthz`);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/healthz"[^}]*status="200"/);
    expect(text).toContain('runner_queue_depth{status="queued"} 0');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('serves a valid OpenAPI 3 document and the reference page', async () => {
    const doc = await (await fetch(`${t.url}/api/docs/json`)).json();
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    expect(doc.paths['/healthz']).toBeDefined();
    const page = await fetch(`${t.url}/api/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });
});

describe('security headers', () => {
  it('are strict on every API answer (no caching, no framing, nothing loaded) and helmet’s on pages', async () => {
    const t = await startTestApp('sqlite');
    try {
      const res = await fetch(`${t.url}/api/v1/meta`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-ratelimit-limit')).not.toBeNull();
      const missing = await fetch(`${t.url}/api/v1/no-such-thing`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBe('no-store');
      const docs = await fetch(`${t.url}/api/docs/`);
      expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");
    } finally {
      await t.close();
    }
  });
});
