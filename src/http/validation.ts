import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

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
  return ajv;
}

const coercing = makeAjv(true);
const strict = makeAjv(false);

/**
 * Each validator is compiled when its route is first called, not at start-up (together with the
 * serializers, compiling them all was about a quarter of the time to the first answer). Every route
 * is exercised by the tests (the fuzzer walks them all), so a bad schema cannot hide until production.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  let compiled: ReturnType<Ajv['compile']> | undefined;
  return (data: unknown) => {
    compiled ??= (httpPart === 'body' ? strict : coercing).compile(schema as object);
    const validate = compiled;
    const nul = nulAt(data);
    if (nul !== null) {
      const issue = { field: nul, message: 'must not contain the NUL character' };
      return { error: Object.assign(new SchemaValidationError([issue]), { validation: [] }) };
    }
    return validate(data) ? { value: data } : { error: validationErrors(validate.errors ?? []) };
  };
};

/** Whether any string (value or key) anywhere in `data` holds U+0000; allocates nothing. */
function hasNul(data: unknown): boolean {
  if (typeof data === 'string') return data.includes('\u0000');
  if (data === null || typeof data !== 'object') return false;
  if (Array.isArray(data)) {
    for (const value of data) if (hasNul(value)) return true;
    return false;
  }
  for (const key in data) {
    if (key.includes('\u0000') || hasNul((data as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/**
 * The dotted path of the first string holding U+0000, or null. No field has a use for it, and
 * PostgreSQL cannot store it in text, so it is refused up front as a 400 naming the field. Bodies
 * are large (a usage batch holds 10,000 records), so the path is worked out only once one is found.
 */
export function nulAt(data: unknown, path: string[] = []): string | null {
  if (!hasNul(data)) return null;
  if (typeof data === 'string') return path.join('.') || 'value';
  for (const [key, value] of Object.entries(data as object)) {
    if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '')].join('.');
    const found = nulAt(value, [...path, key]);
    if (found !== null) return found;
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
  return { field: segments.join('.'), message: error.message ?? 'is invalid' };
}

export function isSchemaValidationError(error: unknown): error is SchemaValidationError {
  return error instanceof SchemaValidationError;
}
