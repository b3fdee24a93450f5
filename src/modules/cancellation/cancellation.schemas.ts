import { type Static, Type } from 'typebox';

/** What can stop an account from being closed (eligibility.ts words each one). */
export const BLOCKER_CODES = [
  'BALANCE_NOT_ZERO',
  'DEVICES_BOUND',
  'PAYMENT_IN_FLIGHT',
  'REQUEST_OPEN',
] as const;
export type BlockerCode = (typeof BLOCKER_CODES)[number];

/**
 * The automatic checks as the runner recorded them on a request after submission (the request's
 * `checks` column); null until they have run. The staff queue and the customer 360 both show it.
 */
export const RecordedChecks = Type.Union(
  [
    Type.Object({
      at: Type.String({ format: 'date-time', description: 'When the checks ran' }),
      passed: Type.Boolean({ description: 'No blocker was found' }),
      blockers: Type.Array(
        Type.Object({
          code: Type.Enum(BLOCKER_CODES),
          details: Type.Object(
            {},
            { additionalProperties: true, description: "The blocker's facts, as the preflight gives them" },
          ),
        }),
      ),
    }),
    Type.Null(),
  ],
  { description: 'The automatic checks as recorded at submission, or null until they have run' },
);
export type RecordedChecks = Static<typeof RecordedChecks>;
