/**
 * Every failure the API reports has one of these codes. The HTTP status travels with the code so
 * handlers never choose statuses themselves; messages come from the locale files (errors.<CODE>).
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  /** The request's Content-Type is not one the route accepts. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** A dependency (database, SM-DP+, …) is not answering; the caller may retry. */
  UNAVAILABLE: 503,
  INVALID_EMAIL: 400,
  /** Not a phone number libphonenumber-js can place (E.164 expected, e.g. +8613800138000). */
  INVALID_PHONE: 400,
  UNSUPPORTED_LOCALE: 400,
  /** The one-time code does not match; details.attemptsLeft says how many tries remain. */
  INVALID_CODE: 401,
  /** The challenge is past its 10 minutes or its code was already used: ask for a new code. */
  CODE_EXPIRED: 401,
  CHALLENGE_NOT_FOUND: 404,
  /** The challenge took 5 wrong codes and is dead: ask for a new code. */
  TOO_MANY_ATTEMPTS: 429,
  /** A cookie-authenticated write without the X-CSRF-Token header matching the esimdesk_csrf cookie. */
  CSRF_FAILED: 403,
  /** A staff account an admin has disabled. */
  ACCOUNT_DISABLED: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorDetails = Record<string, unknown>;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly details: ErrorDetails = {},
    /** Values interpolated into the localised message. */
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
