import { Type } from 'typebox';
import { ERROR_STATUS, type ErrorCode } from '../core/errors.js';

/** The error shape of every 4xx/5xx answer (API.md). */
export const ErrorResponse = Type.Object(
  {
    code: Type.Unsafe<ErrorCode>({
      type: 'string',
      enum: Object.keys(ERROR_STATUS),
      description: 'Stable UPPER_SNAKE code (the list is src/core/errors.ts, each with its HTTP status)',
    }),
    message: Type.String({ description: 'Localised, human-readable message' }),
    details: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'Error', title: 'Error' },
);

/** Standard error answers to declare on a route's `response`. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]));
}

/** The Idempotency-Key header of writes that move money or create orders (checked by http/idempotency.ts). */
export const IdempotencyHeader = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Required: a unique key per intended write (8–128 chars)' }),
  ),
});
