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
  },
};

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
export type ServerMessages = Widen<typeof en>;
