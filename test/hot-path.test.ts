import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared } from '../src/db/prepared.js';
import { lazySerializerFactory } from '../src/http/lazy-serializers.js';
import { securityHeaders } from '../src/http/security-headers.js';
import { validatorCompiler } from '../src/http/validation.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { createTestDatabase, DIALECTS, describeEachDialect, type TestDatabase } from './helpers/db.js';

// The pieces that sit on every request: prepared queries, the row builder, the rate limiter and
// the security headers worked out once.

const auditByAction = prepared((db, action: string, actor: string) =>
  db
    .selectFrom('audit_log')
    .select(['id', 'actor_id as actor', sql<number>`42`.as('answer')])
    .where('action', '=', action)
    .where('actor_id', '=', actor)
    .where('actor_type', '=', 'system')
    .orderBy('id'),
);

async function insertAudit(db: TestDatabase, id: string, action: string, actor: string) {
  await db.database.db
    .insertInto('audit_log')
    .values({
      id,
      actor_type: 'system',
      actor_id: actor,
      action,
      subject_type: 'test',
      subject_id: id,
      created_at: new Date().toISOString(),
    })
    .execute();
}

describeEachDialect('prepared queries', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await insertAudit(db, 'a1', 'x.one', 'alice');
    await insertAudit(db, 'a2', 'x.two', 'alice');
    await insertAudit(db, 'a3', 'x.one', 'bob');
  });
  afterAll(() => db.drop());

  it('runs with new arguments each time, constants kept, in and out of a transaction', async () => {
    expect(await auditByAction(db.database.db, 'x.one', 'alice')).toEqual([
      { id: 'a1', actor: 'alice', answer: 42 },
    ]);
    expect(await auditByAction(db.database.db, 'x.one', 'bob')).toEqual([
      { id: 'a3', actor: 'bob', answer: 42 },
    ]);
    expect(await auditByAction(db.database.db, 'x.two', 'bob')).toEqual([]);
    const inside = await db.database.db.transaction().execute((tx) => auditByAction(tx, 'x.two', 'alice'));
    expect(inside).toEqual([{ id: 'a2', actor: 'alice', answer: 42 }]);
  });

  it('treats an argument that looks like SQL as a value', async () => {
    expect(await auditByAction(db.database.db, "x.one' or '1'='1", 'alice')).toEqual([]);
  });

  it('is prepared once per connection on PostgreSQL, and afresh after a migration changes its result', async () => {
    const kysely = db.database.db;
    const keyById = prepared((executor, id: string) =>
      executor.selectFrom('service_keys').selectAll().where('id', '=', id),
    );
    const now = new Date().toISOString();
    await kysely
      .insertInto('service_keys')
      .values({ id: 'key_probe', name: 'probe', key_hash: 'h', created_at: now })
      .execute();
    expect(await keyById(kysely, 'key_probe')).toMatchObject([{ id: 'key_probe', name: 'probe' }]);
    if (dialect === 'postgres') {
      const names = await kysely.transaction().execute(async (tx) => {
        await keyById(tx, 'key_probe');
        return (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(tx)).rows;
      });
      expect(names.some((row) => /^esd\d+_/.test(row.name))).toBe(true);
    }
    await sql`alter table service_keys add column note text`.execute(kysely);
    // Each connection that prepared the statement is refused once (0A000), then prepares it anew.
    const refusals: string[] = [];
    let rows: unknown[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        rows = await keyById(kysely, 'key_probe');
      } catch (error) {
        refusals.push((error as { code?: string }).code ?? String(error));
      }
    }
    expect(refusals.every((code) => code === '0A000')).toBe(true);
    expect(refusals.length).toBeLessThanOrEqual(10);
    expect(rows).toMatchObject([{ id: 'key_probe', note: null }]);
    await sql`alter table service_keys drop column note`.execute(kysely);
  });

  it('counts the statements that change a principal, not a renewal, and refuses to prepare one', async () => {
    const { db: kysely, identityChanges } = db.database;
    const changes = () => identityChanges.epoch;
    const start = changes();
    const now = new Date().toISOString();
    await kysely
      .updateTable('sessions')
      .set({ last_seen_at: now, expires_at: now })
      .where('id', '=', 'none')
      .execute();
    await kysely.selectFrom('accounts').selectAll().execute();
    await kysely.updateTable('lines').set({ updated_at: now }).where('id', '=', 'none').execute();
    expect(changes()).toBe(start);
    await kysely.updateTable('sessions').set({ revoked_at: now }).where('id', '=', 'none').execute();
    expect(changes()).toBe(start + 1);
    await kysely.transaction().execute(async (tx) => {
      await tx.updateTable('accounts').set({ status: 'suspended' }).where('id', '=', 'none').execute();
      await tx.deleteFrom('sessions').where('id', '=', 'none').execute();
    });
    expect(changes()).toBe(start + 3);
    const revoke = prepared((executor, id: string) =>
      executor.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id),
    );
    await expect(revoke(kysely, 'none')).rejects.toThrow(/cannot be prepared/);
  });
});

describe.runIf(DIALECTS.length === 2)('prepared queries on both dialects in one process', () => {
  it('compiles once per dialect, not once for whichever database came first', async () => {
    const [a, b] = await Promise.all(DIALECTS.map((d) => createTestDatabase(d)));
    try {
      await insertAudit(a!, 'p1', 'y.one', 'carol');
      await insertAudit(b!, 'p2', 'y.one', 'carol');
      expect(await auditByAction(a!.database.db, 'y.one', 'carol')).toEqual([
        { id: 'p1', actor: 'carol', answer: 42 },
      ]);
      expect(await auditByAction(b!.database.db, 'y.one', 'carol')).toEqual([
        { id: 'p2', actor: 'carol', answer: 42 },
      ]);
    } finally {
      await Promise.all([a!.drop(), b!.drop()]);
    }
  });
});

describe('SQLite rows', () => {
  it('are plain objects with every column, and a column named __proto__ does not become the prototype', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const { rows } = await sql<Record<string, unknown>>`select 1 as "a", 'two' as "b", null as "c"`.execute(
        db.database.db,
      );
      expect(rows).toEqual([{ a: 1, b: 'two', c: null }]);
      const hostile = await sql<Record<string, unknown>>`select 'x' as "__proto__", 2 as "n"`.execute(
        db.database.db,
      );
      expect(Object.getPrototypeOf(hostile.rows[0])).toBe(Object.prototype);
      expect(hostile.rows[0]!.n).toBe(2);
    } finally {
      await db.drop();
    }
  });
});

describe('security headers', () => {
  it('are helmet’s, worked out once', () => {
    const headers = securityHeaders({ hsts: false });
    expect(headers['Content-Security-Policy']).toContain("default-src 'self'");
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Strict-Transport-Security']).toBeUndefined();
    expect(securityHeaders({})['Strict-Transport-Security']).toMatch(/max-age=\d+/);
  });
});

describeEachDialect('rate limit', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { RATE_LIMIT_PER_MINUTE: '10' } });
  });
  afterAll(() => t.close());

  it('answers 429 RATE_LIMITED with Retry-After past the limit, counting down in the headers; health checks exempt', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${t.url}/api/v1/meta`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('10');
      remaining.push(res.headers.get('x-ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    const limited = await fetch(`${t.url}/api/v1/meta`);
    expect(limited.status).toBe(429);
    const body = await limited.json();
    expect(body).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Unknown paths count too (no probing around the limit), and answer in the same shape.
    expect((await fetch(`${t.url}/api/v1/nothing-here`)).status).toBe(429);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

describeEachDialect('client address behind proxies', (dialect) => {
  const exhaust = async (url: string, forwardedFor: string) => {
    for (let i = 0; i < 10; i++)
      await fetch(`${url}/api/v1/meta`, { headers: { 'x-forwarded-for': forwardedFor } });
    return (await fetch(`${url}/api/v1/meta`, { headers: { 'x-forwarded-for': '198.51.100.99' } })).status;
  };

  it('takes X-Forwarded-For only from a proxy TRUST_PROXY names (none by default), and ignores it from anyone else', async () => {
    const behindProxy = await startTestApp(dialect, {
      env: { RATE_LIMIT_PER_MINUTE: '10', TRUST_PROXY: 'loopback' },
    });
    const direct = await startTestApp(dialect, { env: { RATE_LIMIT_PER_MINUTE: '10' } });
    try {
      // Through a proxy on this machine, each forwarded address has its own window.
      expect(await exhaust(behindProxy.url, '198.51.100.1')).toBe(200);
      // Without a trusted proxy (the default), a client cannot escape the limit by inventing addresses.
      expect(await exhaust(direct.url, '198.51.100.1')).toBe(429);
    } finally {
      await behindProxy.close();
      await direct.close();
    }
  });

  it('counts an IPv6 client by its /64: new addresses in the same /64 share its window', async () => {
    const behindProxy = await startTestApp(dialect, {
      env: { RATE_LIMIT_PER_MINUTE: '10', TRUST_PROXY: 'loopback' },
    });
    const from = (address: string) =>
      fetch(`${behindProxy.url}/api/v1/meta`, { headers: { 'x-forwarded-for': address } });
    try {
      for (let i = 1; i <= 10; i++)
        expect((await from(`2001:db8:aa:bb::${i.toString(16)}`)).status).toBe(200);
      expect((await from('2001:db8:aa:bb:ffff:1:2:3')).status).toBe(429);
      // Another /64 (another subscriber's network) is counted apart.
      expect((await from('2001:db8:aa:bc::1')).status).toBe(200);
    } finally {
      await behindProxy.close();
    }
  });

  it("counts sign-in codes per IPv6 /64 too: fresh addresses do not reset the address's code limit", async () => {
    const behindProxy = await startTestApp(dialect, {
      env: { RATE_LIMIT_PER_MINUTE: '1000', TRUST_PROXY: 'loopback' },
    });
    const codeFor = (to: string, address: string) =>
      fetch(`${behindProxy.url}/api/v1/auth/codes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify({ channel: 'email', to }),
      });
    try {
      for (let i = 1; i <= 20; i++)
        expect((await codeFor(`v6-${i}@example.com`, `2001:db8:cc:dd::${i.toString(16)}`)).status).toBe(202);
      const limited = await codeFor('v6-21@example.com', '2001:db8:cc:dd:1:1:1:1');
      expect(limited.status).toBe(429);
      expect((await limited.json()).details.limit).toBe('ip');
      expect((await codeFor('v6-22@example.com', '2001:db8:cc:de::1')).status).toBe(202);
    } finally {
      await behindProxy.close();
    }
  });
});

describe('validators and serializers compiled on first use', () => {
  const route = { method: 'GET', url: '/x', httpStatus: '200' };

  it('serializes as fast-json-stringify does: declared fields only, shared schemas resolved', () => {
    const compile = lazySerializerFactory()(
      { Amount: { $id: 'Amount', type: 'object', properties: { amount: { type: 'integer' } } } },
      {},
    );
    const serialize = compile({
      ...route,
      schema: { type: 'object', properties: { a: { type: 'string' }, m: { $ref: 'Amount#' } } },
    });
    expect(serialize({ a: 'x', secret: 'never sent', m: { amount: 5, internal: true } })).toBe(
      '{"a":"x","m":{"amount":5}}',
    );
  });

  it('compiles a broken schema only when the route is used, and fails there', () => {
    const serialize = lazySerializerFactory()({}, {})({
      ...route,
      schema: { type: 'object', properties: { a: { $ref: 'Nowhere#' } } },
    });
    expect(() => serialize({ a: 1 })).toThrow();
    const validate = validatorCompiler({
      schema: { type: 'object', properties: { a: { $ref: 'Nowhere#' } } },
      httpPart: 'body',
      method: 'POST',
      url: '/x',
    });
    expect(() => validate({ a: 1 })).toThrow();
  });

  it('validates bodies strictly and query strings with coercion', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } } };
    const body = validatorCompiler({ schema, httpPart: 'body', method: 'POST', url: '/x' });
    const query = validatorCompiler({ schema, httpPart: 'querystring', method: 'GET', url: '/x' });
    expect(body({ n: '5' })).toHaveProperty('error');
    expect(query({ n: '5' })).toEqual({ value: { n: 5 } });
  });
});
