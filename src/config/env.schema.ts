import os from 'node:os';
import { type Static, Type } from 'typebox';

/**
 * Every environment variable esimdesk reads, declared once: its type, default, bounds and meaning.
 * `readEnv`/`parseEnv` (env.ts) read and check these; the README's configuration table is rendered
 * from them (docs.ts, `npm run gen:config-docs`). Rules between variables live in load.ts.
 *
 * Keywords beyond JSON Schema, for the README and the error line: `docDefault` (the default in words,
 * when it is computed) and `allowed` (the allowed values in words; with `pattern`, the error says
 * "must be <allowed>").
 */

export const MODES = ['demo', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Adapters that exist: the built-in test provider, and the Stripe and Alipay adapters (docs/payments.md). */
export const PAYMENT_ADAPTERS = ['test', 'stripe', 'alipay'] as const;

/**
 * Connections per process to PostgreSQL: four per core by default (pipelined connections keep a
 * core busy with few of them; more only queue inside the server). Across all processes the sum must
 * stay below the server's max_connections.
 */
export const DEFAULT_POOL_SIZE = Math.min(32, Math.max(4, 4 * os.availableParallelism()));

const required = (what: string) => `— (required with ${what})`;

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'HTTP port' }),
  HOST: Type.String({ default: '0.0.0.0', description: 'interface to listen on' }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      docDefault: '`http://localhost:$PORT`',
      allowed: 'http(s) URL',
      description: 'the address subscribers use (links in emails)',
    }),
  ),
  DATABASE_URL: Type.String({
    default: './data/esimdesk.db',
    description: 'a file path or `sqlite:` URL (SQLite), or `postgres://…` (PostgreSQL)',
  }),
  DATABASE_POOL_SIZE: Type.Integer({
    default: DEFAULT_POOL_SIZE,
    docDefault: '4 per core (4–32)',
    minimum: 1,
    maximum: 500,
    description:
      "PostgreSQL connections each process keeps; the sum over all processes must stay below the server's `max_connections`",
  }),
  DATABASE_READ_URL: Type.Optional(
    Type.String({
      allowed: 'postgres:// URLs',
      description:
        'PostgreSQL streaming replicas (one or more `postgres://` URLs, comma-separated) for the heavy reads (usage lists, staff searches and dashboards); what must read its own writes stays on `DATABASE_URL`, and a replica that does not answer is left alone for 10 s while its reads go to the primary (docs/operations.md)',
    }),
  ),
  ESIMDESK_MODE: Type.Enum(MODES, {
    default: 'demo',
    description:
      '`demo` runs the demo parts (SM-DP+ emulator, test payments, dev mailbox); `production` refuses each unless its real counterpart is configured or it is allowed',
  }),
  ESIMDESK_ALLOW_DEMO_PARTS: Type.Optional(
    Type.String({
      description:
        'production only: comma list of `smdp-emulator`, `test-payments`, `dev-mailbox` to allow anyway',
    }),
  ),
  BRAND_NAME: Type.String({
    default: 'esimdesk',
    allowed: '1–60 characters',
    description: "the operator's brand shown to subscribers",
  }),
  BRAND_COLOR: Type.String({
    default: '#1864ab',
    allowed: '`#rrggbb`',
    description: 'theme colour of the installed web app (manifest)',
  }),
  BRAND_LOGO_URL: Type.String({
    default: '/favicon.svg',
    allowed: 'http(s) URL or /path',
    description: "square logo for the installed web app's icon: an http(s) URL or a path on this server",
  }),
  OPERATOR_COUNTRY: Type.String({
    default: 'CN',
    allowed: 'ISO 3166 alpha-2',
    description: 'ISO 3166 country whose public holidays count for business days',
  }),
  OPERATOR_TIME_ZONE: Type.Optional(
    Type.String({
      docDefault: 'from the country',
      allowed: 'IANA time zone',
      description: 'IANA time zone of the operator',
    }),
  ),
  SMDP_URL: Type.Optional(
    Type.String({
      allowed: 'http(s) URL',
      description: 'ES2+ base URL of the SM-DP+ (unset: the built-in emulator)',
    }),
  ),
  PAYMENT_PROVIDER: Type.Enum(PAYMENT_ADAPTERS, {
    default: 'test',
    description:
      'payment provider adapter: `test` (the built-in test provider), `stripe` or `alipay` ([docs/payments.md](docs/payments.md))',
  }),
  SMTP_URL: Type.Optional(
    Type.String({
      allowed: 'smtp(s) URL',
      description: 'SMTP relay, e.g. `smtps://user:pass@relay.example.com:465` (unset: the dev mailbox)',
    }),
  ),
  SMS_GATEWAY_URL: Type.Optional(
    Type.String({ allowed: 'http(s) URL', description: 'SMS gateway endpoint (unset: the dev mailbox)' }),
  ),
  ESIMDESK_SECRET: Type.Optional(
    Type.String({
      docDefault: 'demo value',
      allowed: '32+ characters',
      description:
        'key for one-time-code and CSRF HMACs; required in production: 32+ random characters (`openssl rand -hex 32`); the demo value and guessable values are refused',
    }),
  ),
  SMTP_FROM: Type.Optional(
    Type.String({ docDefault: '`<brand> <no-reply@relay host>`', description: 'sender of emails' }),
  ),
  SMS_GATEWAY_KEY: Type.Optional(Type.String({ description: 'bearer key for the SMS gateway' })),
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
  SMDP_REQUESTER_ID: Type.String({
    default: 'esimdesk',
    description: 'ES2+ client: the requester identifier esimdesk sends to the SM-DP+',
  }),
  SMDP_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 100,
    maximum: 120_000,
    description: 'ES2+ client: how long (ms) a call to the SM-DP+ may take',
  }),
  SMDP_PROFILE_TYPE: Type.String({
    default: 'esimdesk-default',
    description: 'ES2+ client: the SM-DP+ profile type ordered for new eSIMs',
  }),
  SMDP_EMULATOR_ADDRESS: Type.String({
    default: 'smdp.example.com',
    description: "the built-in emulator's address (put into activation codes)",
  }),
  SMDP_EMULATOR_INVENTORY: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 1_000_000,
    description: "the built-in emulator's profile count",
  }),
  ICCID_PREFIX: Type.String({
    default: '8986099',
    pattern: '^89\\d{1,12}$',
    allowed: '89 followed by up to 12 digits',
    description: "the operator's ICCID range: its prefix",
  }),
  ICCID_LENGTH: Type.Integer({
    default: 20,
    minimum: 19,
    maximum: 20,
    description: "the operator's ICCID range: total length (Luhn digit computed)",
  }),
  NUMBER_PREFIX: Type.String({
    default: '+86170',
    pattern: '^\\+\\d{1,10}$',
    allowed: '+ and digits',
    description: 'the demo number range: its prefix',
  }),
  NUMBER_DIGITS: Type.Integer({
    default: 13,
    minimum: 8,
    maximum: 15,
    description: 'the demo number range: digits of a number (the prefix included, + not)',
  }),
  NUMBER_QUARANTINE_DAYS: Type.Integer({
    default: 90,
    minimum: 0,
    maximum: 3650,
    description: 'days a released number stays in quarantine before it is given out again',
  }),
  MAX_PROFILES_PER_LINE: Type.Integer({
    default: 3,
    minimum: 1,
    maximum: 20,
    description: 'devices (eSIM profiles) per line',
  }),
  WEB_DIR: Type.Optional(
    Type.String({
      docDefault: '`dist/web` of the package',
      description: 'the built web app served at `/` (`npm run build:web` writes it)',
    }),
  ),
  EXPORT_DIR: Type.String({
    default: './data/exports',
    description: 'where data-export archives are written',
  }),
  CANCELLATION_REVIEW_DAYS: Type.Integer({
    default: 3,
    minimum: 1,
    maximum: 3,
    description: 'review deadline of a cancellation request, in business days',
  }),
  CANCELLATION_AUTO_APPROVE: Type.Boolean({
    default: false,
    description: 'approve by the system a cancellation request whose checks all pass',
  }),
  SMDP_TLS_CERT: Type.Optional(
    Type.String({ description: 'mutual TLS with a real SM-DP+: PEM file of our client certificate' }),
  ),
  SMDP_TLS_KEY: Type.Optional(
    Type.String({ description: 'mutual TLS with a real SM-DP+: PEM file of our client key' }),
  ),
  SMDP_TLS_CA: Type.Optional(
    Type.String({ description: "mutual TLS with a real SM-DP+: PEM file of the SM-DP+'s CA" }),
  ),
  SMDP_CALLER_ID: Type.Optional(
    Type.String({
      docDefault: '`esimdesk-smdp-emulator` with the emulator; required with `SMDP_URL`',
      allowed: '1–256 printable characters',
      description:
        'the `functionRequesterIdentifier` the SM-DP+ puts in its ES2+ notifications; any other is refused (ES2+ `Failed` 1.1/1.2)',
    }),
  ),
  SMDP_EMULATOR_PROFILE_TYPES: Type.Optional(
    Type.String({
      docDefault: '`SMDP_PROFILE_TYPE`',
      description:
        'comma list of the profile types the built-in emulator holds; it refuses others (8.2.5/3.9)',
    }),
  ),
  ES2_PORT: Type.Optional(
    Type.Integer({
      docDefault: '— (required in production with `SMDP_URL`)',
      minimum: 0,
      maximum: 65535,
      description:
        "port of the ES2+ listener, the only place the SM-DP+'s `handleDownloadProgressInfo` is served outside demo mode (binds `HOST`; must differ from `PORT`)",
    }),
  ),
  ES2_TLS_CERT: Type.Optional(
    Type.String({ description: 'the ES2+ listener: PEM file of its server certificate' }),
  ),
  ES2_TLS_KEY: Type.Optional(Type.String({ description: 'the ES2+ listener: PEM file of its server key' })),
  ES2_TLS_CLIENT_CA: Type.Optional(
    Type.String({
      description:
        "the ES2+ listener: PEM file of the CA whose client certificates it accepts (the SM-DP+'s); without a client certificate from that CA there is no TLS handshake",
    }),
  ),
  ES2_TRUSTED_PROXY_HEADER: Type.Optional(
    Type.String({
      docDefault: '— (off)',
      allowed: 'header name',
      description:
        'behind a proxy that terminates the mutual TLS: the header in which it names the verified client certificate (subject or fingerprint); believed only from `ES2_TRUSTED_PROXY_PEERS`',
    }),
  ),
  ES2_TRUSTED_PROXY_ALLOW: Type.Optional(
    Type.String({
      description:
        'with the header: `;`-separated certificate subjects or fingerprints (SHA-1 or SHA-256, any spelling) that count as the SM-DP+',
    }),
  ),
  ES2_TRUSTED_PROXY_PEERS: Type.Optional(
    Type.String({
      allowed: 'addresses, CIDRs',
      description:
        "with the header: comma list of the proxies' addresses or CIDRs; from any other peer the header is ignored",
    }),
  ),
  LOG_LEVEL: Type.Enum(LOG_LEVELS, { default: 'info', description: 'pino log level' }),
  RUNNER_ENABLED: Type.Boolean({ default: true, description: 'run background jobs inside `esimdesk start`' }),
  RUNNER_POLL_MS: Type.Integer({
    default: 250,
    minimum: 10,
    maximum: 60_000,
    description: 'background runner: how often (ms) it looks for due jobs',
  }),
  RUNNER_CONCURRENCY: Type.Integer({
    default: 4,
    minimum: 1,
    maximum: 64,
    description: 'background runner: jobs run at the same time by one process',
  }),
  RUNNER_MAX_ATTEMPTS: Type.Integer({
    default: 8,
    minimum: 1,
    maximum: 100,
    description: 'background runner: attempts of a job that declares none before it fails for good',
  }),
  SQLITE_SYNCHRONOUS: Type.Enum(['FULL', 'NORMAL'], {
    default: 'FULL',
    description:
      '`FULL` makes every acknowledged write survive power loss (transactions that wait for the one SQLite writer share a commit; each is acknowledged after it)',
  }),
  RETENTION_DAYS: Type.Integer({
    default: 180,
    minimum: 1,
    maximum: 3650,
    description: 'days after deregistration before personal data is erased',
  }),
  USAGE_RETENTION_MONTHS: Type.Integer({
    default: 24,
    minimum: 3,
    maximum: 120,
    description:
      'whole months of usage records kept before the current one (the default of the `usageRetentionMonths` policy); older months are removed (PostgreSQL: their partitions dropped) and audited',
  }),
  ADJUSTMENT_APPROVAL_MINOR: Type.Integer({
    default: 5000,
    minimum: 0,
    maximum: 1_000_000_000,
    description:
      'goodwill credits (minor units) one agent may give one account in 24 hours, in sum; beyond it they wait for an admin',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 1200,
    minimum: 10,
    maximum: 10_000_000,
    description: 'requests per minute from one address before 429',
  }),
  TRUST_PROXY: Type.Optional(
    Type.String({
      docDefault: '`none`',
      allowed: 'addresses, CIDRs, presets',
      description:
        "proxies whose `X-Forwarded-For` is believed: addresses, CIDRs, or `loopback`, `linklocal`, `uniquelocal`. Unset, the socket's address is the client's (set it to your load balancer's address when there is one)",
    }),
  ),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      allowed: '16+ printable characters',
      description:
        'production: `/metrics` answers only with `Authorization: Bearer <token>` (unset: 404 in production; demo: open)',
    }),
  ),
  SESSION_CACHE_MS: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 10_000,
    description:
      'how long an API process reuses a session it looked up (`0`: every request reads it); changes made in the same process apply at once, those of another process within this time',
  }),
  IDEMPOTENCY_CLAIM_SECONDS: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 3600,
    description:
      'how long a request holding an Idempotency-Key is presumed running before a retry may take over',
  }),
  RUNNER_LEASE_MS: Type.Integer({
    default: 30_000,
    minimum: 1_000,
    maximum: 3_600_000,
    description:
      "a runner's lease on a job, renewed while it runs; after a crash another runner takes the job within one lease",
  }),
  SHUTDOWN_DRAIN_MS: Type.Integer({
    default: 5_000,
    minimum: 0,
    maximum: 300_000,
    description:
      "on SIGTERM, how long `/readyz` answers 503 before the process stops taking connections (longer than your load balancer's health-check interval × fall count; see docs/operations.md)",
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    maximum: 3_600_000,
    description:
      'then, how long requests in flight and running jobs get to finish; jobs still running are handed back to the queue for another runner',
  }),
});

/** The environment after parsing: defaults applied, every value of its declared type and within bounds. */
export type EnvValues = Static<typeof EnvSchema>;
export type EnvName = keyof EnvValues;
