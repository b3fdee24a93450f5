import { Type } from 'typebox';

/** The error shape of every 4xx/5xx answer (API.md). */
export const ErrorResponse = Type.Object(
  {
    code: Type.String({ description: 'Stable UPPER_SNAKE code' }),
    message: Type.String({ description: 'Localised, human-readable message' }),
    details: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'Error', title: 'Error' },
);

/** Standard error answers to declare on a route's `response`. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]));
}
