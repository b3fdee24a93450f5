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

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? strict : coercing).compile(schema as object);
  return (data: unknown) =>
    validate(data) ? { value: data } : { error: validationErrors(validate.errors ?? []) };
};

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
