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
    IDEMPOTENCY_KEY_REQUIRED: 'This request needs an Idempotency-Key header.',
    IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was already used for a different request.',
    IDEMPOTENCY_IN_PROGRESS:
      'A request with this Idempotency-Key is still being processed; try again shortly.',
    INSUFFICIENT_BALANCE: 'Your balance is not enough for this.',
    CURRENCY_MISMATCH: 'Amounts must be in {{currency}}.',
    TOPUP_LIMIT_EXCEEDED: 'This top-up is over the limit.',
    RECIPIENT_NOT_FOUND: 'No subscriber has this email address or phone number.',
    RECIPIENT_NOT_ACTIVE: 'This subscriber cannot receive transfers right now.',
    SELF_TRANSFER: 'You cannot transfer to yourself.',
    REFUND_EXCEEDS_REFUNDABLE:
      'You can get back at most what you topped up and have not spent or had refunded.',
    ACCOUNT_NOT_ACTIVE: 'Your account is not active, so money cannot move.',
    INVALID_SIGNATURE: 'The signature is not valid.',
    WEBHOOK_EXPIRED: 'The message is too old or from the future.',
    PAYMENT_NOT_FOUND: 'No such payment.',
    AMOUNT_MISMATCH: 'The amount does not match.',
    INVALID_COUNTRY: 'This is not a country code we know (ISO 3166, e.g. JP).',
    PLAN_NOT_FOUND: 'No such plan.',
    PLAN_RETIRED: 'This plan is no longer offered.',
    INVALID_EID: 'This is not a valid EID (32 digits with correct check digits).',
    INVALID_ACTIVATION_CODE: 'This is not a valid activation code.',
    PROFILE_NOT_DOWNLOADABLE: 'This eSIM cannot be installed now.',
    LINE_NOT_FOUND: 'No such line.',
    DEVICE_NOT_FOUND: 'No such device.',
    DEVICE_LIMIT_REACHED: 'This line is already on the most devices allowed ({{max}}).',
    LINE_NOT_ACTIVE: 'This line cannot do that in its current state.',
    NUMBERS_EXHAUSTED: 'No phone number is available right now; please try again later.',
    ES2_BAD_REQUEST: 'The ES2+ request is not valid.',
    COUNTRY_NOT_COVERED: 'Your plan does not cover this country.',
    INVALID_NETWORK: 'This network is not available for that country.',
    ADDON_NOT_FOUND: 'No such add-on.',
  },
  exports: {
    readme:
      'Your {{brand}} data, exported on {{date}}.\n\nprofile.json  your account: id, email, phone, language, status, dates\nledger.csv    every change to your balance, with the balance after it (amounts in minor units, e.g. cents)\ncalls.csv     calls: time, duration in seconds, number (other party), direction, country, charge\nsms.csv       text messages: time, number, direction, country, charge\ndata.csv      data sessions: time, bytes, country, charge\ndevices.csv   devices your eSIMs were installed on, with EID and dates\ntickets.json  your support conversations\n\nThe CSV files are UTF-8 with a byte-order mark and open in spreadsheet programs.',
  },
  cancellation: {
    blockers: {
      BALANCE_NOT_ZERO:
        'Your balance must be exactly zero: {{wallet}} left in the wallet, {{arrears}} owed. Transfer it to another subscriber or ask for a refund; settle what you owe.',
      DEVICES_BOUND: '{{count}} device(s) still have your eSIM bound. Unbind each one under Devices.',
      PAYMENT_IN_FLIGHT: 'A payment or refund is still being processed. Wait until it completes.',
    },
  },
  notifications: {
    footer: '{{brand}} · This message was sent automatically; replies are not read.',
    topup_succeeded: {
      subject: 'Top-up received: {{amount}}',
      text: 'Your top-up of {{amount}} has arrived. Your balance is now {{balance}}.',
      sms: '{{brand}}: top-up of {{amount}} received. Balance {{balance}}.',
    },
    transfer_sent: {
      subject: 'You sent {{amount}} to {{counterpart}}',
      text: 'You transferred {{amount}} to {{counterpart}}. Your balance is now {{balance}}.',
      sms: '{{brand}}: you sent {{amount}} to {{counterpart}}. Balance {{balance}}.',
    },
    transfer_received: {
      subject: 'You received {{amount}} from {{counterpart}}',
      text: '{{counterpart}} transferred {{amount}} to you. Your balance is now {{balance}}.',
      sms: '{{brand}}: you received {{amount}} from {{counterpart}}. Balance {{balance}}.',
    },
    refund_succeeded: {
      subject: 'Refund of {{amount}} completed',
      text: 'We refunded {{amount}} to your original payment method. It may take a few days to appear on your statement.',
      sms: '{{brand}}: refund of {{amount}} completed to your original payment method.',
    },
    refund_failed: {
      subject: 'Refund of {{amount}} could not be completed',
      text: 'The payment provider could not refund {{amount}}. The money is back in your balance ({{balance}}). Please try again or contact support.',
      sms: '{{brand}}: refund of {{amount}} failed; the money is back in your balance.',
    },
    esim_ready: {
      subject: 'Your eSIM for {{number}} is ready to install',
      text: 'Your eSIM for {{plan}} (number {{number}}) is ready. On your phone, add an eSIM and scan the QR code in the app, or enter this activation code: {{code}}',
      sms: '{{brand}}: your eSIM for {{number}} is ready. Open the app to scan its QR code.',
    },
    order_failed: {
      subject: 'We could not prepare your eSIM',
      text: 'We could not prepare the eSIM for {{plan}}. {{amount}} is back in your balance. Please try again later or contact support.',
      sms: '{{brand}}: your eSIM order for {{plan}} failed; {{amount}} is back in your balance.',
    },
    export_ready: {
      subject: 'Your data export is ready',
      text: 'The archive with your profile, statement, call, SMS and data records and devices is ready. Download it from the app within {{hours}} hours.',
      sms: '{{brand}}: your data export is ready to download in the app.',
    },
    sign_in_code: {
      subject: 'Your {{brand}} sign-in code: {{code}}',
      text: 'Your sign-in code is {{code}}. It is valid for {{minutes}} minutes. If you did not ask for it, ignore this message: nobody can sign in without the code.',
      sms: '{{brand}}: your sign-in code is {{code}} (valid {{minutes}} min). Never share it.',
    },
  },
};

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
export type ServerMessages = Widen<typeof en>;
