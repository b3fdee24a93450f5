import type { LOG_LEVELS, MODES } from './env.schema.js';

// The configuration every other module receives, built by loadConfig (load.ts).

export type Mode = (typeof MODES)[number];
export type DemoPart = 'smdp-emulator' | 'test-payments' | 'dev-mailbox';
export const DEMO_PARTS: readonly DemoPart[] = ['smdp-emulator', 'test-payments', 'dev-mailbox'];

export type DatabaseConfig =
  | { dialect: 'sqlite'; path: string }
  /**
   * poolSize: connections each process keeps to PostgreSQL (DATABASE_POOL_SIZE); readUrls: streaming
   * replicas for the heavy reads (DATABASE_READ_URL), each with a pool of the same size.
   */
  | { dialect: 'postgres'; url: string; poolSize?: number; readUrls?: string[] };

export interface Config {
  mode: Mode;
  host: string;
  port: number;
  publicUrl: string;
  database: DatabaseConfig;
  brandName: string;
  /** #rrggbb: the installed app's theme colour (web app manifest). */
  brandColor: string;
  /** The brand's square logo (an absolute http(s) URL or a path on this server) for the app icon. */
  brandLogoUrl: string;
  operatorCountry: string;
  operatorTimeZone: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Demo-only parts in use: always all of them in demo mode, only the allowed ones in production. */
  demoParts: ReadonlySet<DemoPart>;
  runner: {
    enabled: boolean;
    pollIntervalMs: number;
    concurrency: number;
    maxAttempts: number;
    leaseMs: number;
  };
  /**
   * SIGTERM: /readyz answers 503 for drainMs (the balancer notices and stops sending), then requests
   * in flight and running jobs get graceMs to finish (jobs still running are then handed back).
   */
  shutdown: { drainMs: number; graceMs: number };
  /** minFreeMb: /readyz says not ready below this much free space where the database file is (0: off). */
  sqlite: { synchronous: 'FULL' | 'NORMAL'; minFreeMb: number };
  webDir: string | null;
  /** Keys HMACs of one-time codes and CSRF tokens. Required in production. */
  secret: string;
  /** Real delivery channels; when unset, messages go to the dev mailbox (demo only). */
  smtp: { url: string; from: string } | null;
  sms: { url: string; key: string | null } | null;
  /** The operator's currency (ISO 4217): wallets, prices and top-ups are in it. */
  currency: string;
  wallet: { topupMaxMinor: number; topupDailyMaxMinor: number };
  /** HMAC key of payment webhooks (the provider signs, we verify). */
  paymentWebhookSecret: string;
  /** Payment provider adapter; `test` is the built-in test provider (demo). */
  paymentProvider: string;
  /** The Stripe adapter's settings (PAYMENT_PROVIDER=stripe), else null. */
  stripe: StripeConfig | null;
  /** The Alipay adapter's settings (PAYMENT_PROVIDER=alipay), else null. */
  alipay: AlipayConfig | null;
  smdp: {
    /** ES2+ base URL of a real SM-DP+; null means the built-in emulator on this server. */
    url: string | null;
    requesterId: string;
    timeoutMs: number;
    /** Address the emulator puts into activation codes. */
    emulatorAddress: string;
    emulatorInventory: number;
    /** The SM-DP+ profile type ordered for new eSIMs. */
    profileType: string;
    /** Mutual TLS to a real SM-DP+: PEM files of our client certificate and key, and the SM-DP+'s CA. */
    tls: { certFile: string; keyFile: string; caFile: string | null } | null;
    /** The functionRequesterIdentifier the SM-DP+ must send in its ES2+ notifications. */
    callerId: string;
    /** The profile types the built-in emulator holds; it refuses any other (8.2.5/3.9). */
    emulatorProfileTypes: string[];
  };
  /** The inbound ES2+ side: where the SM-DP+'s HandleDownloadProgressInfo notifications are served. */
  es2: Es2Config;
  /** The operator's ICCID range: prefix and total length (the Luhn digit is computed). */
  iccid: { prefix: string; length: 19 | 20 };
  /** Where data-export archives are written (streamed to disk, never held in memory). */
  exportDir: string;
  /** Review deadline in business days (1–3) and whether a request whose checks all pass is approved by the system. */
  cancellation: { reviewDays: number; autoApprove: boolean };
  /** Days after deregistration before personal data is erased. */
  retentionDays: number;
  /** Whole UTC months of usage records kept before the current one; older months are removed (a policy default). */
  usageRetentionMonths: number;
  /** How long a request holding an Idempotency-Key is presumed running; after that a retry takes over. */
  idempotencyClaimSeconds: number;
  /** Requests per minute from one address before 429 (carrier NAT puts many subscribers behind one). */
  rateLimitPerMinute: number;
  /**
   * How long (ms) an API process may reuse a session it looked up; 0 looks every request up. Changes
   * made in the same process are seen at once; a sign-out or suspension made by another process
   * reaches this one within this time.
   */
  sessionCacheMs: number;
  /**
   * The proxies whose X-Forwarded-For is believed (addresses, CIDRs, or loopback / linklocal /
   * uniquelocal); empty: none. A client's own X-Forwarded-For must not choose its rate-limit address.
   */
  trustProxy: string[];
  /** Bearer token /metrics requires in production; null: /metrics is open (demo) or not served (production). */
  metricsToken: string | null;
  /** Goodwill adjustments above this (minor units) wait for an admin's approval. */
  adjustmentApprovalMinor: number;
  lines: { maxProfilesPerLine: number; numberPrefix: string; numberDigits: number; quarantineDays: number };
}

export interface StripeConfig {
  secretKey: string;
  /** The endpoint's signing secret (whsec_…) the webhooks are checked with. */
  webhookSecret: string;
  /** Tests only: the API base URL of a local peer instead of Stripe's. */
  apiUrl: string | null;
  /** Payment method types offered on the Checkout page, e.g. card, alipay, wechat_pay. */
  paymentMethods: string[];
  /** A test-mode key (sk_test_/rk_test_): no real money moves. */
  testMode: boolean;
}

export interface AlipayConfig {
  appId: string;
  /** PEM (or bare base64) of the app's RSA private key: it signs our requests. */
  privateKeyFile: string;
  /** Alipay's RSA public key: it checks Alipay's answers and notifications. */
  publicKeyFile: string;
  /** The openapi gateway (…/gateway.do); the sandbox's for test mode. */
  gateway: string;
  testMode: boolean;
}

/**
 * The ES2+ listener. The SM-DP+ is authenticated by mutual TLS on it (a client certificate from
 * ES2_TLS_CLIENT_CA), or by a proxy that terminated the mutual TLS and names the verified
 * certificate in a header; only the configured proxy peers may do that.
 */
export interface Es2Config {
  /** null: no ES2+ listener (then only demo mode serves the notification, on the public port). */
  listener: {
    port: number;
    tls: { certFile: string; keyFile: string; clientCaFile: string } | null;
  } | null;
  /** The header (lower case) a trusted proxy sets, the subjects or fingerprints allowed, and the proxies' addresses or CIDRs. */
  trustedProxy: { header: string; allow: string[]; peers: string[] } | null;
}
