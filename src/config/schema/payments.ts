import { Type } from 'typebox';

// Money: currency, top-up limits, and the payment provider adapters.

/** Adapters that exist: the built-in test provider, and the Stripe and Alipay adapters (docs/payments.md). */
export const PAYMENT_ADAPTERS = ['test', 'stripe', 'alipay'] as const;

const required = (what: string) => `— (required with ${what})`;

export const PAYMENT_ENV = {
  PAYMENT_PROVIDER: Type.Enum(PAYMENT_ADAPTERS, {
    default: 'test',
    description:
      'payment provider adapter: `test` (the built-in test provider), `stripe` or `alipay` ([docs/payments.md](docs/payments.md))',
  }),
  CURRENCY: Type.Optional(
    Type.String({
      docDefault: 'from the country (`CNY` for CN)',
      allowed: 'ISO 4217',
      description: 'ISO 4217 currency of wallets and prices',
    }),
  ),
  TOPUP_MAX_MINOR: Type.Integer({
    default: 100_000,
    minimum: 1,
    maximum: 1_000_000_000,
    description: 'top-up limit in minor units, per top-up',
  }),
  TOPUP_DAILY_MAX_MINOR: Type.Integer({
    default: 300_000,
    minimum: 1,
    maximum: 10_000_000_000,
    description: 'top-up limit in minor units, per 24 h',
  }),
  PAYMENT_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      docDefault: 'derived from `ESIMDESK_SECRET`',
      allowed: '32+ characters in production',
      description: 'HMAC key of payment webhooks',
    }),
  ),
  STRIPE_SECRET_KEY: Type.Optional(
    Type.String({
      docDefault: required('`PAYMENT_PROVIDER=stripe`'),
      allowed: '`sk_…`, `rk_…`',
      description:
        'Stripe secret or restricted key; production refuses a test-mode key (`sk_test_…`) unless `STRIPE_ALLOW_TEST_KEY=true` ([docs/payments.md](docs/payments.md))',
    }),
  ),
  STRIPE_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      docDefault: required('`stripe`'),
      allowed: '`whsec_…`',
      description: "the webhook endpoint's signing secret (`whsec_…`) for `/api/v1/payments/webhooks/stripe`",
    }),
  ),
  STRIPE_PAYMENT_METHODS: Type.Optional(
    Type.String({
      docDefault: '`card`',
      description:
        'comma list of payment method types offered on Stripe Checkout, e.g. `card,alipay,wechat_pay`',
    }),
  ),
  STRIPE_ALLOW_TEST_KEY: Type.Boolean({
    default: false,
    description: 'production only: run on a Stripe test-mode key anyway (no real money moves)',
  }),
  STRIPE_API_URL: Type.Optional(
    Type.String({
      allowed: 'http(s) URL',
      description: "tests only: a local Stripe peer's URL; refused in production",
    }),
  ),
  ALIPAY_APP_ID: Type.Optional(
    Type.String({
      docDefault: required('`PAYMENT_PROVIDER=alipay`'),
      allowed: '8–32 digits',
      description: 'the Alipay app id; Alipay needs `CURRENCY=CNY`',
    }),
  ),
  ALIPAY_PRIVATE_KEY_FILE: Type.Optional(
    Type.String({
      docDefault: required('`alipay`'),
      description: "PEM file of the app's RSA2 private key (signs our calls)",
    }),
  ),
  ALIPAY_PUBLIC_KEY_FILE: Type.Optional(
    Type.String({
      docDefault: required('`alipay`'),
      description: "PEM file of Alipay's public key (checks its answers and notifications)",
    }),
  ),
  ALIPAY_GATEWAY: Type.Optional(
    Type.String({
      docDefault: '`https://openapi.alipay.com/gateway.do`',
      allowed: 'URL ending in `/gateway.do`',
      description: "the openapi gateway (the sandbox's for test mode; https in production)",
    }),
  ),
};
