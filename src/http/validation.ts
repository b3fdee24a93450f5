import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';
import { hasUnsafeText } from '../core/text.js';

/**
 * Query strings, params and headers arrive as text, so their validator coerces ("10" → 10).
 * Bodies are JSON and must already have the right types: a money amount sent as "5" is an error.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  // RFC 3339 allows a leap second (…T23:59:60Z), which Date cannot hold: the one date-time format of
  // the API accepts only instants Date represents, so no handler ever meets an Invalid Date.
  const rfc3339 = fullFormats['date-time'] as {
    validate: (value: string) => boolean;
    compare: (a: string, b: string) => number | undefined;
  };
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (value: string) => rfc3339.validate(value) && Number.isFinite(Date.parse(value)),
    compare: rfc3339.compare,
  });
  return ajv;
}

const coercing = makeAjv(true);
const strict = makeAjv(false);

/** Bodies nest at most this deep; deeper JSON is refused before anything walks it. */
export const MAX_BODY_DEPTH = 32;

/**
 * Routes whose bodies come from peers that may add fields: SGP.22 lets an SM-DP+ send more than
 * ES2+ defines, so the ES2+ callback and the emulator's ES2+ endpoints stay tolerant. Every other
 * body refuses keys its schema does not name.
 */
const TOLERANT_PREFIXES = ['/gsma/', '/emulator/'];
/**
 * Bodies from machines, checked for NUL only, not for UNSAFE_TEXT: peers' ES2+ bodies, and the usage
 * feed (up to 10,000 records a batch, whose two free-text fields the ingest checks itself, which is
 * cheaper than walking every code, number and time of every record).
 */
const MACHINE_PREFIXES = [...TOLERANT_PREFIXES, '/api/v1/usage/records'];

/**
 * Each validator is compiled when its route is first called, not at start-up (together with the
 * serializers, compiling them all was about a quarter of the time to the first answer). Every route
 * is exercised by the tests (the fuzzer walks them all), so a bad schema cannot hide until production.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart, url }) => {
  let compiled: ReturnType<Ajv['compile']> | undefined;
  const body = httpPart === 'body';
  const tolerant = TOLERANT_PREFIXES.some((prefix) => url.startsWith(prefix));
  const machine = MACHINE_PREFIXES.some((prefix) => url.startsWith(prefix));
  return (data: unknown) => {
    compiled ??= body
      ? strict.compile(tolerant ? (schema as object) : closed(schema))
      : coercing.compile(schema as object);
    const validate = compiled;
    const issue = unsafeAt(data, body && !machine);
    if (issue !== null) {
      return { error: Object.assign(new SchemaValidationError([issue]), { validation: [] }) };
    }
    return validate(data) ? { value: data } : { error: validationErrors(validate.errors ?? []) };
  };
};

/**
 * A copy of the schema in which every object that does not say otherwise refuses unknown keys
 * (TypeBox objects allow them unless told). Objects under `allOf` keep their own setting, since
 * each branch of an intersection sees the other branches' keys.
 */
export function closed(schema: unknown): object {
  const copy = structuredClone(schema) as Record<string, unknown>;
  const stack: Array<Record<string, unknown>> = [copy];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const isObject = node.type === 'object' || (node.properties !== undefined && node.type === undefined);
    if (isObject && node.additionalProperties === undefined && node.patternProperties === undefined) {
      node.additionalProperties = false;
    }
    if (isFreeText(node)) node.pattern = NOT_BLANK;
    for (const [keyword, value] of Object.entries(node)) {
      if (keyword === 'allOf' || value === null || typeof value !== 'object') continue;
      if (keyword === 'properties' || keyword === 'patternProperties' || keyword === '$defs') {
        for (const child of Object.values(value as object)) if (isSchema(child)) stack.push(child);
      } else if (Array.isArray(value)) {
        for (const child of value) if (isSchema(child)) stack.push(child);
      } else if (isSchema(value)) {
        stack.push(value as Record<string, unknown>);
      }
    }
  }
  return copy;
}

/**
 * A string that must not be empty and has no shape of its own (no pattern, format or list of values)
 * is text a person typed: it must hold more than white space, or it would be stored blank once trimmed.
 */
const NOT_BLANK = '\\S';
function isFreeText(node: Record<string, unknown>): boolean {
  return (
    node.type === 'string' &&
    typeof node.minLength === 'number' &&
    node.minLength >= 1 &&
    node.pattern === undefined &&
    node.format === undefined &&
    node.enum === undefined &&
    node.const === undefined
  );
}

function isSchema(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

type Problem = 'depth' | 'nul' | 'unsafe';

function stringProblem(value: string, text: boolean): Problem | null {
  if (value.includes('\u0000')) return 'nul';
  return text && hasUnsafeText(value) ? 'unsafe' : null;
}

/**
 * Whether a body is too deep or holds U+0000 anywhere (value or key) — or, with `text`, a character
 * of UNSAFE_TEXT in a value — without recursion and without allocating paths: bodies are large (a
 * usage batch holds 10,000 records) and hostile ones deep, so the walk keeps its own stack and the
 * path is worked out only once something is found.
 */
function firstProblem(data: unknown, text: boolean): Problem | null {
  const values: unknown[] = [data];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value, text);
      if (problem) return problem;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return 'depth';
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in value) {
      if (key.includes('\u0000')) return 'nul';
      values.push((value as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return null;
}

/**
 * The issue with a body that no schema should ever see (too deep, a NUL character, or with `text` a
 * control or text-direction character: see core/text.ts), or null. Machines' bodies are checked for
 * the first two only.
 */
export function unsafeAt(data: unknown, text = false): FieldIssue | null {
  const problem = firstProblem(data, text);
  if (problem === null) return null;
  if (problem === 'depth') {
    return { field: deepestPath(data), message: `must not nest deeper than ${MAX_BODY_DEPTH} levels` };
  }
  const field = problemAt(data, (value) => stringProblem(value, text) === problem) ?? 'value';
  return problem === 'nul'
    ? { field, message: 'must not contain the NUL character' }
    : { field, message: 'must not contain control or text-direction characters' };
}

/** The path to the first container at the depth limit (only called once one is known to exist). */
function deepestPath(data: unknown): string {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_BODY_DEPTH) return path.slice(0, 3).join('.') || 'body';
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, key] });
  }
  return 'body';
}

/**
 * The dotted path of the first string (or key holding U+0000) that `bad` finds, or null; the issue is
 * refused up front as a 400 naming the field. Only called on bodies already known to be at most
 * MAX_BODY_DEPTH deep.
 */
function problemAt(data: unknown, bad: (value: string) => boolean): string | null {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (bad(value)) return path.join('.') || 'value';
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '')].join('.');
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
}

export interface FieldIssue {
  field: string;
  message: string;
}

class SchemaValidationError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((i) => `${i.field} ${i.message}`).join('; '));
  }
}

function validationErrors(errors: ErrorObject[]): Error {
  return Object.assign(new SchemaValidationError(errors.map(issueOf)), { validation: errors });
}

/** Names the failing field as a dotted path (`amount.currency`, `records.3.iccid`). */
export function issueOf(error: ErrorObject): FieldIssue {
  const segments = error.instancePath.split('/').filter(Boolean);
  const params = error.params as Record<string, unknown>;
  if (typeof params.missingProperty === 'string') segments.push(params.missingProperty);
  if (typeof params.additionalProperty === 'string') segments.push(params.additionalProperty);
  if (error.keyword === 'pattern' && params.pattern === NOT_BLANK)
    return { field: segments.join('.'), message: 'must not be blank' };
  return { field: segments.join('.'), message: error.message ?? 'is invalid' };
}

export function isSchemaValidationError(error: unknown): error is SchemaValidationError {
  return error instanceof SchemaValidationError;
}
