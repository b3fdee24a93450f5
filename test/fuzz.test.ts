import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { type Session, signInStaff } from './helpers/session.js';

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
};
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema?: Schema }[];
  body: Schema | null;
}

/** Routes left out, each for a reason: they end the fuzzer's own session. */
const SKIP = new Set(['DELETE /api/v1/auth/session']);

const hostileString = fc.oneof(
  fc.constant(''),
  fc.constant('x'.repeat(70_000)),
  fc.constant('\u0000\uFFFF\uD800'),
  fc.constant('注销账户 🚀 ‮'),
  fc.constant('../../etc/passwd'),
  fc.constant("' or 1=1; --"),
  fc.constant('<script>alert(1)</script>'),
  fc.constant('__proto__'),
  fc.constant('acc_01JZZZZZZZZZZZZZZZZZZZZZZZ'),
  fc.constant('-1'),
  fc.constant('1e309'),
  fc.constant('NaN'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.constant(-0),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.constant({ __proto__: { polluted: true } }),
  fc.constant(
    JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
  ),
);

/** Values shaped like `schema` (often valid, sometimes just off), so fuzzing reaches past validation. */
function fromSchema(
  schema: Schema | undefined,
  components: Record<string, Schema>,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (!schema || depth > 5) return hostileValue;
  if (schema.$ref) return fromSchema(components[schema.$ref.split('/').pop()!], components, depth + 1);
  if (schema.const !== undefined) return fc.oneof(fc.constant(schema.const), hostileValue);
  if (schema.enum)
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...schema.enum) },
      { weight: 1, arbitrary: hostileValue },
    );
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => fromSchema(v, components, depth + 1)));
  if (schema.allOf) return fromSchema(Object.assign({}, ...schema.allOf), components, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const near = (valid: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: hostileValue });
  switch (type) {
    case 'string':
      return near(fc.string({ minLength: 0, maxLength: Math.min(schema.maxLength ?? 30, 30) }));
    case 'integer':
    case 'number':
      return near(
        fc.integer({
          min: Math.max(schema.minimum ?? -1_000_000, -1_000_000_000),
          max: Math.min(schema.maximum ?? 1_000_000, 1_000_000_000),
        }),
      );
    case 'boolean':
      return near(fc.boolean());
    case 'array':
      return near(fc.array(fromSchema(schema.items, components, depth + 1), { maxLength: 3 }));
    case 'object': {
      const properties = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([k, v]) => [k, fromSchema(v, components, depth + 1)]),
        ),
        { requiredKeys: (schema.required ?? []).filter((k) => k in properties) },
      );
      return near(
        fc.oneof(
          { weight: 4, arbitrary: record },
          {
            weight: 1,
            arbitrary: fc
              .tuple(record, fc.string({ maxLength: 12 }), hostileValue)
              .map(([r, k, v]) => ({ ...(r as object), [k]: v })),
          },
        ),
      );
    }
    default:
      return hostileValue;
  }
}

describeEachDialect('every route under generated input', (dialect) => {
  let t: TestApp;
  let sessions: (Session | null)[];
  let operations: Operation[];
  let components: Record<string, Schema>;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'error' } });
    await t.ctx.catalog.seedDemo();
    const { session } = await activeLine(t, 'fuzzed@example.com');
    sessions = [null, session, await signInStaff(t, 'fuzz.admin@operator.example.com', 'admin')];
    const doc = (await (await fetch(`${t.url}/api/docs/json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { parameters?: Operation['params']; requestBody?: { content: Record<string, { schema: Schema }> } }
        >
      >;
      components: { schemas: Record<string, Schema> };
    };
    components = doc.components.schemas;
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          params: op.parameters ?? [],
          body: op.requestBody?.content['application/json']?.schema ?? null,
        }))
        .filter((op) => !SKIP.has(`${op.method} ${op.path}`)),
    );
  });
  afterAll(() => t.close());

  it('answers every generated request below 500, and every 4xx in the error shape', async () => {
    expect(operations.length).toBeGreaterThan(80);
    let requests = 0;
    for (const op of operations) {
      const pathParams = op.params.filter((p) => p.in === 'path');
      const queryParams = op.params.filter((p) => p.in === 'query');
      const arbitrary = fc.record({
        who: fc.nat(sessions.length - 1),
        path: fc.record(
          Object.fromEntries(
            pathParams.map((p) => [
              p.name,
              fc.oneof(
                fc.string({ minLength: 1, maxLength: 30 }),
                hostileString.filter((s) => s.length > 0 && s.length < 2000),
              ),
            ]),
          ),
        ),
        query: fc.record(
          Object.fromEntries(queryParams.map((p) => [p.name, fromSchema(p.schema, components)])),
          { requiredKeys: [] },
        ),
        body: op.body
          ? fc.oneof(
              { weight: 6, arbitrary: fromSchema(op.body, components) },
              { weight: 1, arbitrary: hostileValue },
            )
          : fc.constant(undefined),
        raw: fc.oneof(
          { weight: 9, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.constantFrom('{"amount":', 'null', '[]', '\u0000', '{"a":1}{') },
        ),
      });
      await fc.assert(
        fc.asyncProperty(arbitrary, async (input) => {
          const url = new URL(
            t.url +
              op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
                encodeURIComponent(Buffer.from(String(input.path[name] ?? 'x')).toString()),
              ),
          );
          for (const [k, v] of Object.entries(input.query))
            url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
          const session = sessions[input.who];
          const headers: Record<string, string> = {
            ...(session?.headers ?? {}),
            'idempotency-key': `fuzz-${requests}-key`,
          };
          let body: string | undefined;
          if (op.method !== 'GET' && op.method !== 'DELETE') {
            body = input.raw ?? (input.body === undefined ? undefined : JSON.stringify(input.body));
            if (body !== undefined) headers['content-type'] = 'application/json';
          }
          requests++;
          const res = await fetch(url, { method: op.method, headers, body, redirect: 'manual' });
          const text = await res.text();
          const where = `${op.method} ${op.path} → ${res.status} ${text.slice(0, 300)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('json')) {
            const error = JSON.parse(text);
            expect(typeof error.code, where).toBe('string');
            expect(typeof error.message, where).toBe('string');
            expect(typeof error.details, where).toBe('object');
          }
          // Nothing got polluted along the way.
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 30) },
      );
    }
    expect(requests).toBeGreaterThanOrEqual(operations.length * Number(process.env.FUZZ_RUNS ?? 30));
  }, 240_000);
});
