/** Server messages in English. Every key here must exist in every other locale file (tested). */
export const en = {
  errors: {
    VALIDATION_FAILED: 'The request is not valid: {{reason}}',
    MALFORMED_JSON: 'The request body is not valid JSON.',
    UNSUPPORTED_MEDIA_TYPE: 'This content type is not accepted here.',
    UNAUTHENTICATED: 'Please sign in first.',
    FORBIDDEN: 'You are not allowed to do this.',
    NOT_FOUND: 'Nothing was found here.',
    CONFLICT: 'This conflicts with the current state; reload and try again.',
    PAYLOAD_TOO_LARGE: 'The request is too large.',
    RATE_LIMITED: 'Too many requests; try again in {{retryAfter}} seconds.',
    INTERNAL: 'Something went wrong on our side. It has been logged; please try again.',
    UNAVAILABLE: 'The service is temporarily unavailable; please try again shortly.',
    INVALID_EMAIL: 'This is not a valid email address.',
    INVALID_PHONE: 'This is not a valid phone number; include the country code, e.g. +8613800138000.',
    UNSUPPORTED_LOCALE: 'This language is not available.',
    INVALID_CODE: 'The code is not correct. {{attemptsLeft}} attempts left.',
    CODE_EXPIRED: 'This code has expired or was already used. Ask for a new one.',
    CHALLENGE_NOT_FOUND: 'This sign-in request does not exist. Ask for a new code.',
    TOO_MANY_ATTEMPTS: 'Too many wrong codes. Ask for a new one.',
    CSRF_FAILED: 'The request could not be verified. Reload the page and try again.',
    ACCOUNT_DISABLED: 'This account has been disabled.',
  },
  notifications: {
    footer: '{{brand}} · This message was sent automatically; replies are not read.',
    sign_in_code: {
      subject: 'Your {{brand}} sign-in code: {{code}}',
      text: 'Your sign-in code is {{code}}. It is valid for {{minutes}} minutes. If you did not ask for it, ignore this message: nobody can sign in without the code.',
      sms: '{{brand}}: your sign-in code is {{code}} (valid {{minutes}} min). Never share it.',
    },
  },
};

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
export type ServerMessages = Widen<typeof en>;
