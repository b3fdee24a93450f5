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
  /** Answered by the HTTP layer itself (app.ts answerClientError): headers or URL too large, unreadable request, too slow. */
  HEADERS_TOO_LARGE: 431,
  MALFORMED_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** A dependency (database, SM-DP+, …) is not answering; the caller may retry. */
  UNAVAILABLE: 503,
  /** The database cannot be reached (connection lost, server restarting); retry shortly. */
  DATABASE_UNAVAILABLE: 503,
  /** The database cannot take writes (disk full, read-only file or database); reads still work. */
  STORAGE_UNAVAILABLE: 503,
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
  /** Money moves need an Idempotency-Key header (any unique string of 8–128 characters). */
  IDEMPOTENCY_KEY_REQUIRED: 400,
  /** The key was used before with a different request. */
  IDEMPOTENCY_KEY_REUSED: 409,
  /** The first request with this key is still running; retry shortly. */
  IDEMPOTENCY_IN_PROGRESS: 409,
  INSUFFICIENT_BALANCE: 409,
  CURRENCY_MISMATCH: 400,
  /** details.limit says which: per top-up or per day. */
  TOPUP_LIMIT_EXCEEDED: 422,
  RECIPIENT_NOT_FOUND: 404,
  /** The recipient is suspended, closing or closed. */
  RECIPIENT_NOT_ACTIVE: 409,
  SELF_TRANSFER: 400,
  /** More than was topped up and not yet refunded or spent; details.refundable says how much can be. */
  REFUND_EXCEEDS_REFUNDABLE: 409,
  /** More than cannot be refunded; details.forfeitable says how much can be given up (refund the rest). */
  FORFEIT_EXCEEDS_FORFEITABLE: 409,
  /** A waiver larger than what the account owes; details.arrears says how much that is. */
  WAIVER_EXCEEDS_ARREARS: 409,
  /** Arrears are waived only for an account with an open request to close it. */
  ACCOUNT_NOT_CLOSING: 409,
  /** The account is suspended, closing or closed, so money cannot move. */
  ACCOUNT_NOT_ACTIVE: 409,
  INVALID_SIGNATURE: 401,
  /** The webhook's timestamp is outside the 5-minute window (a replay, or clocks apart). */
  WEBHOOK_EXPIRED: 401,
  /**
   * The webhook is about a refund we are still submitting (the provider answered, our record of its
   * answer is not committed yet): not applied; the provider delivers it again.
   */
  WEBHOOK_TOO_EARLY: 409,
  PAYMENT_NOT_FOUND: 404,
  AMOUNT_MISMATCH: 400,
  /** The payment provider could not be reached or refused the call: nothing was applied; try again. */
  PAYMENT_PROVIDER_UNAVAILABLE: 503,
  /** Not an ISO 3166 alpha-2 country code. */
  INVALID_COUNTRY: 400,
  PLAN_NOT_FOUND: 404,
  /** A retired plan can be seen but not bought or edited. */
  PLAN_RETIRED: 409,
  /** Not a valid EID: 32 digits starting 89 whose MOD 97-10 check digits hold. */
  INVALID_EID: 400,
  /** Not an SGP.22 activation code (LPA:1$address$matchingId…). */
  INVALID_ACTIVATION_CODE: 400,
  /** The profile behind the activation code cannot be downloaded (already installed elsewhere, or not released). */
  PROFILE_NOT_DOWNLOADABLE: 409,
  LINE_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  /** The line has as many eSIM profiles as policy allows; details.max says how many. */
  DEVICE_LIMIT_REACHED: 409,
  /** The line cannot take this (pending, failed or terminated). */
  LINE_NOT_ACTIVE: 409,
  /** No telephone number is free to assign right now. */
  NUMBERS_EXHAUSTED: 503,
  /** ES2+ request header or body not acceptable. */
  ES2_BAD_REQUEST: 400,
  /** The plan of the line does not cover this country. */
  COUNTRY_NOT_COVERED: 400,
  /** Not one of the partner networks for that country. */
  INVALID_NETWORK: 400,
  ADDON_NOT_FOUND: 404,
  /** A plan change would now cost more than the subscriber agreed to (maxToPay); details.toPay is the new price. */
  QUOTE_CHANGED: 409,
  /** The account cannot be closed yet; details.blockers lists why, each with where to fix it. */
  NOT_ELIGIBLE: 409,
  /** Someone else changed the request first (another reviewer, or the subscriber): reload it. */
  REQUEST_CHANGED: 409,
  REQUEST_NOT_FOUND: 404,
  /** The request is not in a state that allows this. */
  INVALID_TRANSITION: 409,
  /** A deregistered account may only see its status, its request history and its data export. */
  ACCOUNT_DEREGISTERED: 403,
  /** Resuming a suspended account needs a sign-in from the last 10 minutes. */
  FRESH_SIGN_IN_REQUIRED: 403,
  TICKET_NOT_FOUND: 404,
  /** The address already belongs to another account. */
  CONTACT_IN_USE: 409,
  /** The account already has an address of this kind. */
  CONTACT_ALREADY_SET: 409,
  /** The link given with a ticket (line, payment, cancellation request) is not one of the subscriber's. */
  RELATED_NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  /** Only staff can be assigned tickets. */
  ASSIGNEE_NOT_STAFF: 400,
  ADJUSTMENT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  /** Only dead or queued jobs can be retried, only queued ones cancelled. */
  JOB_NOT_RETRYABLE: 409,
  STAFF_EXISTS: 409,
  /** An admin cannot demote or disable their own account (someone must stay admin). */
  SELF_CHANGE: 409,
  /** The subscriber's previous data export is still being built; details.id names it. */
  EXPORT_IN_PROGRESS: 409,
  /** The subscriber asked for as many exports as the policy allows in 24 hours (details.max); details.retryAt says when the next is allowed. */
  EXPORT_LIMIT_REACHED: 429,
  /** The subscriber opened as many tickets as the policy allows in 24 hours (details.max); details.retryAt says when the next is allowed. */
  TICKET_LIMIT_REACHED: 429,
  USAGE_HOLD_NOT_FOUND: 404,
  /** The address took too many wrong codes in 24 hours: codes sent before that are void; ask for a new one. */
  FRESH_CODE_REQUIRED: 401,
  /** A suspended staff member keeps no staff powers until an admin resumes them. */
  STAFF_SUSPENDED: 403,
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
