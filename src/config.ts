import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The only module that reads the environment. Everything else receives a Config. */

export type Mode = 'demo' | 'production';
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
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
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
  sqlite: { synchronous: 'FULL' | 'NORMAL' };
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

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const ENV_KEYS = [
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'DATABASE_URL',
  'ESIMDESK_MODE',
  'ESIMDESK_ALLOW_DEMO_PARTS',
  'BRAND_NAME',
  'BRAND_COLOR',
  'BRAND_LOGO_URL',
  'OPERATOR_COUNTRY',
  'OPERATOR_TIME_ZONE',
  'LOG_LEVEL',
  'RUNNER_ENABLED',
  'RUNNER_POLL_MS',
  'RUNNER_CONCURRENCY',
  'RUNNER_MAX_ATTEMPTS',
  'RUNNER_LEASE_MS',
  'SQLITE_SYNCHRONOUS',
  'SMDP_URL',
  'PAYMENT_PROVIDER',
  'SMTP_URL',
  'SMS_GATEWAY_URL',
  'WEB_DIR',
  'ESIMDESK_SECRET',
  'SMTP_FROM',
  'SMS_GATEWAY_KEY',
  'CURRENCY',
  'TOPUP_MAX_MINOR',
  'TOPUP_DAILY_MAX_MINOR',
  'PAYMENT_WEBHOOK_SECRET',
  'SMDP_REQUESTER_ID',
  'SMDP_TIMEOUT_MS',
  'SMDP_EMULATOR_ADDRESS',
  'SMDP_EMULATOR_INVENTORY',
  'SMDP_PROFILE_TYPE',
  'SMDP_TLS_CERT',
  'SMDP_TLS_KEY',
  'SMDP_TLS_CA',
  'EXPORT_DIR',
  'CANCELLATION_REVIEW_DAYS',
  'CANCELLATION_AUTO_APPROVE',
  'ICCID_PREFIX',
  'ICCID_LENGTH',
  'MAX_PROFILES_PER_LINE',
  'NUMBER_PREFIX',
  'NUMBER_DIGITS',
  'NUMBER_QUARANTINE_DAYS',
  'RETENTION_DAYS',
  'USAGE_RETENTION_MONTHS',
  'ADJUSTMENT_APPROVAL_MINOR',
  'RATE_LIMIT_PER_MINUTE',
  'TRUST_PROXY',
  'IDEMPOTENCY_CLAIM_SECONDS',
  'ES2_PORT',
  'ES2_TLS_CERT',
  'ES2_TLS_KEY',
  'ES2_TLS_CLIENT_CA',
  'ES2_TRUSTED_PROXY_HEADER',
  'ES2_TRUSTED_PROXY_ALLOW',
  'ES2_TRUSTED_PROXY_PEERS',
  'SMDP_CALLER_ID',
  'SMDP_EMULATOR_PROFILE_TYPES',
  'SESSION_CACHE_MS',
  'METRICS_TOKEN',
  'DATABASE_POOL_SIZE',
  'DATABASE_READ_URL',
  'SHUTDOWN_DRAIN_MS',
  'SHUTDOWN_GRACE_MS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_API_URL',
  'STRIPE_PAYMENT_METHODS',
  'STRIPE_ALLOW_TEST_KEY',
  'ALIPAY_APP_ID',
  'ALIPAY_PRIVATE_KEY_FILE',
  'ALIPAY_PUBLIC_KEY_FILE',
  'ALIPAY_GATEWAY',
] as const;

/** Copies the variables esimdesk knows from the process environment. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const env: Env = {};
  for (const key of ENV_KEYS) env[key] = source[key];
  return env;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxy(env: Env): string[] {
  const raw = env.TRUST_PROXY;
  // No proxy is trusted unless one is named: a client on a private network must not pick its own address.
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'none') return [];
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (!PROXY_PRESETS.includes(entry) && (family === 0 || !validBits || extra !== undefined)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `"${entry}" is not an address, a CIDR, loopback, linklocal or uniquelocal`,
      );
    }
  }
  return entries;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

export function parseDatabaseUrl(raw: string | undefined): DatabaseConfig {
  const value = raw === undefined || raw === '' ? './data/esimdesk.db' : raw;
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: value };
  }
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError('DATABASE_URL', 'sqlite: URL names no file');
    return { dialect: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new ConfigError(
      'DATABASE_URL',
      `unsupported scheme in "${value}" (use a file path, sqlite: or postgres://)`,
    );
  }
  return { dialect: 'sqlite', path: path.resolve(value) };
}

/**
 * Connections per process to PostgreSQL: four per core by default (pipelined connections keep a
 * core busy with few of them; more only queue inside the server). Across all processes the sum must
 * stay below the server's max_connections.
 */
export const DEFAULT_POOL_SIZE = Math.min(32, Math.max(4, 4 * os.availableParallelism()));

/** DATABASE_READ_URL: one or more postgres:// URLs, comma-separated (PostgreSQL only). */
function withReadUrls(database: DatabaseConfig, env: Env): DatabaseConfig {
  const raw = (env.DATABASE_READ_URL ?? '').trim();
  if (raw === '') return database;
  if (database.dialect !== 'postgres')
    throw new ConfigError('DATABASE_READ_URL', 'needs DATABASE_URL to be a postgres:// URL');
  const readUrls = raw.split(',').map((url) => url.trim());
  for (const url of readUrls) {
    let valid = /^postgres(ql)?:\/\//.test(url);
    try {
      new URL(url);
    } catch {
      valid = false;
    }
    if (!valid) throw new ConfigError('DATABASE_READ_URL', `"${url}" is not a valid postgres:// URL`);
  }
  return { ...database, readUrls };
}

function withPoolSize(database: DatabaseConfig, env: Env): DatabaseConfig {
  const poolSize = integer(env, 'DATABASE_POOL_SIZE', DEFAULT_POOL_SIZE, 1, 500);
  return database.dialect === 'postgres' ? { ...database, poolSize } : database;
}

function countryCode(env: Env): string {
  const raw = (env.OPERATOR_COUNTRY ?? 'CN').toUpperCase();
  if (!/^[A-Z]{2}$/.test(raw))
    throw new ConfigError('OPERATOR_COUNTRY', `must be an ISO 3166 alpha-2 code, got "${raw}"`);
  return raw;
}

function timeZone(env: Env, country: string): string {
  const raw = env.OPERATOR_TIME_ZONE || defaultTimeZone(country);
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
  } catch {
    throw new ConfigError('OPERATOR_TIME_ZONE', `is not an IANA time zone: "${raw}"`);
  }
  return raw;
}

// A default zone for the operator's country when none is configured; anything not listed is UTC.
const COUNTRY_ZONES: Record<string, string> = {
  CN: 'Asia/Shanghai',
  HK: 'Asia/Hong_Kong',
  SG: 'Asia/Singapore',
  JP: 'Asia/Tokyo',
  GB: 'Europe/London',
  DE: 'Europe/Berlin',
  FR: 'Europe/Paris',
  US: 'America/New_York',
};
function defaultTimeZone(country: string): string {
  return COUNTRY_ZONES[country] ?? 'UTC';
}

function demoParts(env: Env, mode: Mode): Set<DemoPart> {
  // Demo mode with a real payment adapter (its test mode, or a local peer) takes no test payments.
  const realProvider = Boolean(env.PAYMENT_PROVIDER) && env.PAYMENT_PROVIDER !== 'test';
  if (mode === 'demo') return new Set(DEMO_PARTS.filter((p) => p !== 'test-payments' || !realProvider));
  const allowed = new Set<DemoPart>();
  for (const part of (env.ESIMDESK_ALLOW_DEMO_PARTS ?? '').split(',').map((p) => p.trim())) {
    if (part === '') continue;
    if (!(DEMO_PARTS as readonly string[]).includes(part)) {
      throw new ConfigError(
        'ESIMDESK_ALLOW_DEMO_PARTS',
        `unknown part "${part}" (known: ${DEMO_PARTS.join(', ')})`,
      );
    }
    allowed.add(part as DemoPart);
  }
  // Production refuses a demo-only part unless its real counterpart is configured or it is allowed explicitly.
  const needs: Array<[DemoPart, string, boolean]> = [
    ['smdp-emulator', 'SMDP_URL', !env.SMDP_URL],
    ['test-payments', 'PAYMENT_PROVIDER', !env.PAYMENT_PROVIDER || env.PAYMENT_PROVIDER === 'test'],
    ['dev-mailbox', 'SMTP_URL', !env.SMTP_URL || !env.SMS_GATEWAY_URL],
  ];
  for (const [part, variable, missing] of needs) {
    if (missing && !allowed.has(part)) {
      throw new ConfigError(
        variable,
        `production mode needs a real ${part === 'dev-mailbox' ? 'SMTP relay and SMS gateway (SMTP_URL, SMS_GATEWAY_URL)' : variable}; set it, or allow the demo part with ESIMDESK_ALLOW_DEMO_PARTS=${part}`,
      );
    }
  }
  return new Set([...allowed].filter((part) => needs.some(([p, , missing]) => p === part && missing)));
}

const DEMO_PART_RISKS: Record<DemoPart, string> = {
  'smdp-emulator': 'eSIM profiles come from the built-in SM-DP+ emulator and install on no real device',
  'test-payments': 'top-ups are paid by the built-in test provider: money is credited that nobody paid',
  'dev-mailbox':
    'sign-in codes and notices go to the dev mailbox, readable by anyone through /api/v1/dev/messages, not to subscribers',
};

/**
 * One loud line per demo part in use, logged on every start (and shown in the staff console):
 * in demo mode one line for all, in production one per part allowed by ESIMDESK_ALLOW_DEMO_PARTS.
 */
export function demoPartWarnings(config: Pick<Config, 'mode' | 'demoParts'>): Array<{
  part: DemoPart | 'all';
  message: string;
}> {
  if (config.mode === 'demo')
    return [{ part: 'all', message: 'DEMO MODE: SM-DP+ emulator, test payments and dev mailbox are in use' }];
  return [...config.demoParts].map((part) => ({
    part,
    message: `PRODUCTION WITH A DEMO PART (${part}): ${DEMO_PART_RISKS[part]}. Remove it from ESIMDESK_ALLOW_DEMO_PARTS before taking real subscribers.`,
  }));
}

const DEMO_SECRET = 'esimdesk-demo-secret-not-for-production-use';

function secret(env: Env, mode: Mode): string {
  const raw = env.ESIMDESK_SECRET;
  if (!raw) {
    if (mode === 'production')
      throw new ConfigError('ESIMDESK_SECRET', 'is required in production (32+ random characters)');
    return DEMO_SECRET;
  }
  if (raw.length < 32) throw new ConfigError('ESIMDESK_SECRET', 'must be at least 32 characters');
  if (mode === 'production') strongSecret('ESIMDESK_SECRET', raw);
  return raw;
}

/** Production refuses the public demo secret and values with too little in them, naming the variable. */
function strongSecret(variable: string, value: string): void {
  if (value === DEMO_SECRET)
    throw new ConfigError(variable, 'is the public demo secret; generate one (openssl rand -hex 32)');
  if (estimatedBits(value) < MIN_SECRET_BITS || periodOf(value) <= value.length / 2)
    throw new ConfigError(
      variable,
      'looks guessable (too few distinct characters); generate one with openssl rand -hex 32',
    );
}

function webhookSecret(env: Env, mode: Mode): string {
  const raw = env.PAYMENT_WEBHOOK_SECRET;
  if (!raw) return `${secret(env, mode)}:payments`;
  if (mode === 'production') {
    if (raw.length < 32) throw new ConfigError('PAYMENT_WEBHOOK_SECRET', 'must be at least 32 characters');
    strongSecret('PAYMENT_WEBHOOK_SECRET', raw);
  }
  return raw;
}

/**
 * The shortest period of a string: the smallest p such that every character repeats the one p places
 * before it ("Password1Password1…" has period 9, a random string its own length). A secret that is a
 * short piece repeated carries only that piece's worth of guessing, whatever its length.
 */
export function periodOf(value: string): number {
  // Knuth–Morris–Pratt failure function: the longest proper prefix that is also a suffix.
  const fail = new Array<number>(value.length).fill(0);
  for (let i = 1, k = 0; i < value.length; i++) {
    while (k > 0 && value[i] !== value[k]) k = fail[k - 1]!;
    if (value[i] === value[k]) k++;
    fail[i] = k;
  }
  return value.length - (fail[value.length - 1] ?? 0);
}

/** What a secret must at least carry, estimated from its own character frequencies. */
const MIN_SECRET_BITS = 96;

/**
 * Shannon entropy of the string's characters times its length: 32 identical characters give 0,
 * a 32-character hex string about 112, `openssl rand -hex 32` about 240. An estimate from the
 * string alone cannot see patterns ("abcd…"), but it refuses the repeated and short-alphabet values
 * people type by hand.
 */
export function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...value].length;
  let perChar = 0;
  for (const count of counts.values()) perChar -= (count / length) * Math.log2(count / length);
  return perChar * length;
}

function metricsToken(env: Env): string | null {
  const raw = env.METRICS_TOKEN;
  if (!raw) return null;
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw))
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 printable characters without spaces');
  return raw;
}

function urlSetting(env: Env, name: string, schemes: string[]): string | null {
  const raw = env[name];
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (!schemes.includes(url.protocol.replace(/:$/, ''))) throw new Error('scheme');
  } catch {
    throw new ConfigError(name, `must be a ${schemes.join(' or ')} URL`);
  }
  return raw;
}

export function loadConfig(env: Env, defaults: { mode?: Mode } = {}): Config {
  const mode = oneOf<Mode>(env, 'ESIMDESK_MODE', ['demo', 'production'], defaults.mode ?? 'demo');
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const publicUrl = env.PUBLIC_URL || `http://localhost:${port}`;
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL, got "${publicUrl}"`);
  }
  const operatorCountry = countryCode(env);
  const brandName = (env.BRAND_NAME ?? 'esimdesk').trim();
  if (brandName === '' || brandName.length > 60)
    throw new ConfigError('BRAND_NAME', 'must be 1 to 60 characters');
  const brandColor = (env.BRAND_COLOR ?? '#1864ab').trim();
  if (!/^#[0-9a-fA-F]{6}$/.test(brandColor)) throw new ConfigError('BRAND_COLOR', 'must be #rrggbb');
  const brandLogoUrl = (env.BRAND_LOGO_URL ?? '/favicon.svg').trim();
  if (!/^(https?:\/\/[^\s]+|\/[^\s/][^\s]*)$/.test(brandLogoUrl))
    throw new ConfigError('BRAND_LOGO_URL', 'must be an http(s) URL or a path starting with /');
  return {
    mode,
    host,
    port,
    publicUrl: publicUrl.replace(/\/$/, ''),
    database: withReadUrls(withPoolSize(parseDatabaseUrl(env.DATABASE_URL), env), env),
    brandName,
    brandColor,
    brandLogoUrl,
    operatorCountry,
    operatorTimeZone: timeZone(env, operatorCountry),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    demoParts: demoParts(env, mode),
    runner: {
      enabled: bool(env, 'RUNNER_ENABLED', true),
      pollIntervalMs: integer(env, 'RUNNER_POLL_MS', 250, 10, 60_000),
      concurrency: integer(env, 'RUNNER_CONCURRENCY', 4, 1, 64),
      maxAttempts: integer(env, 'RUNNER_MAX_ATTEMPTS', 8, 1, 100),
      leaseMs: integer(env, 'RUNNER_LEASE_MS', 30_000, 1_000, 3_600_000),
    },
    shutdown: {
      drainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 5_000, 0, 300_000),
      graceMs: integer(env, 'SHUTDOWN_GRACE_MS', 30_000, 100, 3_600_000),
    },
    sqlite: { synchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', ['FULL', 'NORMAL'], 'FULL') },
    webDir: env.WEB_DIR || null,
    secret: secret(env, mode),
    smtp: smtpSetting(env, brandName),
    sms: smsSetting(env),
    currency: currency(env, operatorCountry),
    wallet: {
      topupMaxMinor: integer(env, 'TOPUP_MAX_MINOR', 100_000, 1, 1_000_000_000),
      topupDailyMaxMinor: integer(env, 'TOPUP_DAILY_MAX_MINOR', 300_000, 1, 10_000_000_000),
    },
    paymentWebhookSecret: webhookSecret(env, mode),
    paymentProvider: paymentProvider(env),
    stripe: stripeSetting(env, mode),
    alipay: alipaySetting(env, mode),
    smdp: {
      url: urlSetting(env, 'SMDP_URL', ['http', 'https']),
      requesterId: env.SMDP_REQUESTER_ID || 'esimdesk',
      timeoutMs: integer(env, 'SMDP_TIMEOUT_MS', 10_000, 100, 120_000),
      emulatorAddress: env.SMDP_EMULATOR_ADDRESS || 'smdp.example.com',
      emulatorInventory: integer(env, 'SMDP_EMULATOR_INVENTORY', 1000, 0, 1_000_000),
      profileType: env.SMDP_PROFILE_TYPE || 'esimdesk-default',
      tls: smdpTls(env),
      callerId: smdpCallerId(env),
      emulatorProfileTypes: emulatorProfileTypes(env),
    },
    es2: es2Setting(env, mode, port),
    iccid: iccidRange(env),
    exportDir: path.resolve(env.EXPORT_DIR || './data/exports'),
    cancellation: {
      reviewDays: integer(env, 'CANCELLATION_REVIEW_DAYS', 3, 1, 3),
      autoApprove: bool(env, 'CANCELLATION_AUTO_APPROVE', false),
    },
    retentionDays: integer(env, 'RETENTION_DAYS', 180, 1, 3650),
    usageRetentionMonths: integer(env, 'USAGE_RETENTION_MONTHS', 24, 3, 120),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 1200, 10, 10_000_000),
    sessionCacheMs: integer(env, 'SESSION_CACHE_MS', 1000, 0, 10_000),
    trustProxy: trustProxy(env),
    metricsToken: metricsToken(env),
    idempotencyClaimSeconds: integer(env, 'IDEMPOTENCY_CLAIM_SECONDS', 60, 1, 3600),
    adjustmentApprovalMinor: integer(env, 'ADJUSTMENT_APPROVAL_MINOR', 5_000, 0, 1_000_000_000),
    lines: {
      maxProfilesPerLine: integer(env, 'MAX_PROFILES_PER_LINE', 3, 1, 20),
      numberPrefix: numberPrefix(env),
      numberDigits: integer(env, 'NUMBER_DIGITS', 13, 8, 15),
      quarantineDays: integer(env, 'NUMBER_QUARANTINE_DAYS', 90, 0, 3650),
    },
  };
}

function iccidRange(env: Env): Config['iccid'] {
  const prefix = env.ICCID_PREFIX || '8986099';
  if (!/^89\d{1,12}$/.test(prefix))
    throw new ConfigError('ICCID_PREFIX', `must be 89 followed by up to 12 digits, got "${prefix}"`);
  const length = integer(env, 'ICCID_LENGTH', 20, 19, 20) as 19 | 20;
  return { prefix, length };
}

function smdpTls(env: Env): Config['smdp']['tls'] {
  const certFile = env.SMDP_TLS_CERT;
  const keyFile = env.SMDP_TLS_KEY;
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile)
    throw new ConfigError(
      certFile ? 'SMDP_TLS_KEY' : 'SMDP_TLS_CERT',
      'mutual TLS needs both SMDP_TLS_CERT and SMDP_TLS_KEY',
    );
  return { certFile, keyFile, caFile: env.SMDP_TLS_CA || null };
}

function numberPrefix(env: Env): string {
  const prefix = env.NUMBER_PREFIX || '+86170';
  if (!/^\+\d{1,10}$/.test(prefix))
    throw new ConfigError('NUMBER_PREFIX', `must be + and digits, got "${prefix}"`);
  return prefix;
}

/** Adapters that exist: the built-in test provider, and the Stripe and Alipay adapters (docs/payments.md). */
const PAYMENT_ADAPTERS = ['test', 'stripe', 'alipay'];

function paymentProvider(env: Env): string {
  const raw = env.PAYMENT_PROVIDER || 'test';
  if (!PAYMENT_ADAPTERS.includes(raw)) {
    throw new ConfigError(
      'PAYMENT_PROVIDER',
      `no adapter named "${raw}" (available: ${PAYMENT_ADAPTERS.join(', ')})`,
    );
  }
  return raw;
}

/** Payment method types the Stripe adapter may offer on Checkout (STRIPE_PAYMENT_METHODS). */
export const STRIPE_PAYMENT_METHODS = [
  'card',
  'alipay',
  'wechat_pay',
  'link',
  'paypal',
  'grabpay',
  'paynow',
  'ideal',
  'bancontact',
  'konbini',
] as const;

const STRIPE_VARIABLES = [
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_API_URL',
  'STRIPE_PAYMENT_METHODS',
  'STRIPE_ALLOW_TEST_KEY',
] as const;
const ALIPAY_VARIABLES = [
  'ALIPAY_APP_ID',
  'ALIPAY_PRIVATE_KEY_FILE',
  'ALIPAY_PUBLIC_KEY_FILE',
  'ALIPAY_GATEWAY',
] as const;

/** A provider's variables are read whatever the provider, and refused when set for another one. */
function providerVariables<K extends string>(env: Env, provider: string, names: readonly K[]) {
  const values = Object.fromEntries(names.map((name) => [name, env[name]?.trim() || undefined])) as Record<
    K,
    string | undefined
  >;
  if ((env.PAYMENT_PROVIDER || 'test') !== provider) {
    const stray = names.find((name) => values[name] !== undefined);
    if (stray) throw new ConfigError(stray, `is set, but PAYMENT_PROVIDER is not ${provider}`);
    return null;
  }
  return values;
}

function stripeSetting(env: Env, mode: Mode): StripeConfig | null {
  const v = providerVariables(env, 'stripe', STRIPE_VARIABLES);
  if (!v) return null;
  const secretKey = v.STRIPE_SECRET_KEY;
  if (!secretKey) throw new ConfigError('STRIPE_SECRET_KEY', 'is required with PAYMENT_PROVIDER=stripe');
  const key = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,250}$/.exec(secretKey);
  if (!key)
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      'must be a secret or restricted key (sk_live_…, sk_test_…, rk_…)',
    );
  const testMode = key[2] === 'test';
  const allowTestKey = bool(env, 'STRIPE_ALLOW_TEST_KEY', false);
  if (mode === 'production' && testMode && !allowTestKey)
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      'is a test-mode key, which takes no real money; use a live key, or set STRIPE_ALLOW_TEST_KEY=true to run production on test payments',
    );
  const webhookSecret = v.STRIPE_WEBHOOK_SECRET;
  if (!webhookSecret || !/^whsec_[A-Za-z0-9+/=_]{8,250}$/.test(webhookSecret))
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET',
      "must be the webhook endpoint's signing secret (whsec_…) with PAYMENT_PROVIDER=stripe",
    );
  const apiUrl = urlSetting(env, 'STRIPE_API_URL', ['http', 'https']);
  if (apiUrl && mode === 'production')
    throw new ConfigError('STRIPE_API_URL', 'is for tests against a local peer; production talks to Stripe');
  const methods = v.STRIPE_PAYMENT_METHODS ? list(v.STRIPE_PAYMENT_METHODS, ',') : ['card'];
  const unknown = methods.find((m) => !(STRIPE_PAYMENT_METHODS as readonly string[]).includes(m));
  if (unknown || methods.length === 0)
    throw new ConfigError(
      'STRIPE_PAYMENT_METHODS',
      `must be a comma list of ${STRIPE_PAYMENT_METHODS.join(', ')}${unknown ? `; got "${unknown}"` : ''}`,
    );
  return { secretKey, webhookSecret, apiUrl, paymentMethods: [...new Set(methods)], testMode };
}

const ALIPAY_GATEWAY = 'https://openapi.alipay.com/gateway.do';

function alipaySetting(env: Env, mode: Mode): AlipayConfig | null {
  const v = providerVariables(env, 'alipay', ALIPAY_VARIABLES);
  if (!v) return null;
  const appId = v.ALIPAY_APP_ID;
  if (!appId || !/^\d{8,32}$/.test(appId))
    throw new ConfigError(
      'ALIPAY_APP_ID',
      'must be the app id Alipay gave (digits) with PAYMENT_PROVIDER=alipay',
    );
  const privateKeyFile = v.ALIPAY_PRIVATE_KEY_FILE;
  if (!privateKeyFile)
    throw new ConfigError(
      'ALIPAY_PRIVATE_KEY_FILE',
      "is required with PAYMENT_PROVIDER=alipay (the app's RSA private key)",
    );
  const publicKeyFile = v.ALIPAY_PUBLIC_KEY_FILE;
  if (!publicKeyFile)
    throw new ConfigError(
      'ALIPAY_PUBLIC_KEY_FILE',
      "is required with PAYMENT_PROVIDER=alipay (Alipay's RSA public key)",
    );
  const gateway = urlSetting(env, 'ALIPAY_GATEWAY', mode === 'production' ? ['https'] : ['http', 'https']);
  if (gateway && !/\/gateway\.do$/.test(new URL(gateway).pathname))
    throw new ConfigError('ALIPAY_GATEWAY', 'must be the openapi gateway URL ending in /gateway.do');
  const resolved = gateway ?? ALIPAY_GATEWAY;
  if (currency(env, countryCode(env)) !== 'CNY')
    throw new ConfigError('CURRENCY', 'must be CNY with PAYMENT_PROVIDER=alipay (Alipay settles in yuan)');
  return {
    appId,
    privateKeyFile,
    publicKeyFile,
    gateway: resolved,
    testMode: /sandbox/i.test(new URL(resolved).hostname),
  };
}

const COUNTRY_CURRENCIES: Record<string, string> = {
  CN: 'CNY',
  HK: 'HKD',
  SG: 'SGD',
  JP: 'JPY',
  GB: 'GBP',
  DE: 'EUR',
  FR: 'EUR',
  US: 'USD',
};

function currency(env: Env, country: string): string {
  const raw = (env.CURRENCY || COUNTRY_CURRENCIES[country] || 'USD').toUpperCase();
  if (!/^[A-Z]{3}$/.test(raw) || !Intl.supportedValuesOf('currency').includes(raw)) {
    throw new ConfigError('CURRENCY', `must be an ISO 4217 code, got "${raw}"`);
  }
  return raw;
}

function smtpSetting(env: Env, brandName: string): Config['smtp'] {
  const url = urlSetting(env, 'SMTP_URL', ['smtp', 'smtps']);
  if (!url) return null;
  const from = env.SMTP_FROM || `${brandName} <no-reply@${new URL(url).hostname}>`;
  if (!/@/.test(from)) throw new ConfigError('SMTP_FROM', `must contain an email address, got "${from}"`);
  return { url, from };
}

function smsSetting(env: Env): Config['sms'] {
  const url = urlSetting(env, 'SMS_GATEWAY_URL', ['http', 'https']);
  return url ? { url, key: env.SMS_GATEWAY_KEY || null } : null;
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

const ES2_TLS_VARIABLES = ['ES2_TLS_CERT', 'ES2_TLS_KEY', 'ES2_TLS_CLIENT_CA'] as const;

function es2Setting(env: Env, mode: Mode, publicPort: number): Es2Config {
  const given = ES2_TLS_VARIABLES.filter((name) => env[name]);
  if (given.length > 0 && given.length < ES2_TLS_VARIABLES.length) {
    const missing = ES2_TLS_VARIABLES.find((name) => !env[name])!;
    throw new ConfigError(missing, 'the ES2+ listener needs ES2_TLS_CERT, ES2_TLS_KEY and ES2_TLS_CLIENT_CA');
  }
  const tls = given.length
    ? { certFile: env.ES2_TLS_CERT!, keyFile: env.ES2_TLS_KEY!, clientCaFile: env.ES2_TLS_CLIENT_CA! }
    : null;
  const trustedProxy = es2TrustedProxy(env);
  if (!env.ES2_PORT) {
    const orphan = given[0] ?? (trustedProxy ? 'ES2_TRUSTED_PROXY_HEADER' : null);
    if (orphan) throw new ConfigError(orphan, 'needs ES2_PORT (the ES2+ listener)');
    if (mode === 'production' && env.SMDP_URL) {
      throw new ConfigError(
        'ES2_PORT',
        "production with a real SM-DP+ needs the ES2+ listener: the SM-DP+'s notifications are served only there (set ES2_PORT with ES2_TLS_CERT, ES2_TLS_KEY, ES2_TLS_CLIENT_CA, or ES2_TRUSTED_PROXY_HEADER)",
      );
    }
    return { listener: null, trustedProxy: null };
  }
  const port = integer(env, 'ES2_PORT', 0, 0, 65535);
  if (port !== 0 && port === publicPort) throw new ConfigError('ES2_PORT', 'must differ from PORT');
  if (!tls && !trustedProxy) {
    throw new ConfigError(
      'ES2_TLS_CERT',
      'the ES2+ listener needs mutual TLS (ES2_TLS_CERT, ES2_TLS_KEY, ES2_TLS_CLIENT_CA) or a proxy that terminates it (ES2_TRUSTED_PROXY_HEADER)',
    );
  }
  return { listener: { port, tls }, trustedProxy };
}

function es2TrustedProxy(env: Env): Es2Config['trustedProxy'] {
  const header = env.ES2_TRUSTED_PROXY_HEADER?.trim().toLowerCase();
  if (!header) {
    const stray = env.ES2_TRUSTED_PROXY_ALLOW
      ? 'ES2_TRUSTED_PROXY_ALLOW'
      : env.ES2_TRUSTED_PROXY_PEERS
        ? 'ES2_TRUSTED_PROXY_PEERS'
        : null;
    if (stray) throw new ConfigError(stray, 'needs ES2_TRUSTED_PROXY_HEADER');
    return null;
  }
  if (
    !/^[a-z0-9][a-z0-9-]{0,63}$/.test(header) ||
    ['host', 'x-forwarded-for', 'content-type'].includes(header)
  )
    throw new ConfigError('ES2_TRUSTED_PROXY_HEADER', `must be a header name, got "${header}"`);
  const allow = list(env.ES2_TRUSTED_PROXY_ALLOW, ';');
  if (allow.length === 0 || allow.some((entry) => entry.length > 512))
    throw new ConfigError(
      'ES2_TRUSTED_PROXY_ALLOW',
      'must name the SM-DP+ certificate subjects or fingerprints the proxy may vouch for (separated by ;)',
    );
  const peers = list(env.ES2_TRUSTED_PROXY_PEERS, ',');
  if (peers.length === 0)
    throw new ConfigError('ES2_TRUSTED_PROXY_PEERS', 'must name the proxy addresses or CIDRs');
  for (const peer of peers) {
    const [address, bits, extra] = peer.split('/');
    const family = isIP(address ?? '');
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (family === 0 || !validBits || extra !== undefined)
      throw new ConfigError('ES2_TRUSTED_PROXY_PEERS', `"${peer}" is not an address or a CIDR`);
  }
  return { header, allow, peers };
}

function list(raw: string | undefined, separator: string): string[] {
  return (raw ?? '')
    .split(separator)
    .map((entry) => entry.trim())
    .filter(Boolean);
}

const EMULATOR_CALLER_ID = 'esimdesk-smdp-emulator';

function smdpCallerId(env: Env): string {
  const raw = env.SMDP_CALLER_ID?.trim();
  if (!raw) {
    if (env.SMDP_URL)
      throw new ConfigError(
        'SMDP_CALLER_ID',
        "is required with SMDP_URL: the SM-DP+'s functionRequesterIdentifier, agreed with it",
      );
    return EMULATOR_CALLER_ID;
  }
  if (raw.length > 256 || !/^[\x21-\x7e]+$/.test(raw))
    throw new ConfigError('SMDP_CALLER_ID', 'must be 1 to 256 printable characters without spaces');
  return raw;
}

function emulatorProfileTypes(env: Env): string[] {
  const profileType = env.SMDP_PROFILE_TYPE || 'esimdesk-default';
  const types = env.SMDP_EMULATOR_PROFILE_TYPES ? list(env.SMDP_EMULATOR_PROFILE_TYPES, ',') : [profileType];
  if (types.length === 0 || types.length > 100 || types.some((t) => t.length > 64))
    throw new ConfigError(
      'SMDP_EMULATOR_PROFILE_TYPES',
      'must be 1 to 100 profile types of up to 64 characters',
    );
  if (!env.SMDP_URL && !types.includes(profileType))
    throw new ConfigError(
      'SMDP_EMULATOR_PROFILE_TYPES',
      `must include the profile type esimdesk orders (SMDP_PROFILE_TYPE=${profileType})`,
    );
  return types;
}
