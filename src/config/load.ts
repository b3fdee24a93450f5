import path from 'node:path';
import { demoParts } from './demo.js';
import { ConfigError, type Env, parseEnv } from './env.js';
import type { EnvValues } from './env.schema.js';
import { alipaySetting, currency, stripeSetting } from './payments.js';
import { metricsToken, secret, webhookSecret } from './secrets.js';
import { emulatorProfileTypes, es2Setting, smdpCallerId, smdpTls } from './smdp.js';
import type { Config, DatabaseConfig, Mode } from './types.js';
import { isAddressOrCidr, urlSetting } from './values.js';

/**
 * The configuration from the environment (readEnv): each variable parsed by its schema
 * (env.schema.ts), then the rules between variables. A bad value throws one ConfigError naming it.
 */
export function loadConfig(env: Env, defaults: { mode?: Mode } = {}): Config {
  return configFrom(env, parseEnv(env, { ESIMDESK_MODE: defaults.mode }));
}

/** The configuration from the parsed variables `v` (`env` only tells which were set at all). */
export function configFrom(env: Env, v: EnvValues): Config {
  const mode = v.ESIMDESK_MODE;
  const port = v.PORT;
  const publicUrl = v.PUBLIC_URL || `http://localhost:${port}`;
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL, got "${publicUrl}"`);
  }
  const operatorCountry = countryCode(v);
  const brand = brandSettings(v);
  const currencyCode = currency(v, operatorCountry);
  return {
    mode,
    host: v.HOST,
    port,
    publicUrl: publicUrl.replace(/\/$/, ''),
    database: database(v),
    ...brand,
    operatorCountry,
    operatorTimeZone: timeZone(v, operatorCountry),
    logLevel: v.LOG_LEVEL,
    demoParts: demoParts(v, mode),
    runner: {
      enabled: v.RUNNER_ENABLED,
      pollIntervalMs: v.RUNNER_POLL_MS,
      concurrency: v.RUNNER_CONCURRENCY,
      maxAttempts: v.RUNNER_MAX_ATTEMPTS,
      leaseMs: v.RUNNER_LEASE_MS,
    },
    shutdown: { drainMs: v.SHUTDOWN_DRAIN_MS, graceMs: v.SHUTDOWN_GRACE_MS },
    sqlite: { synchronous: v.SQLITE_SYNCHRONOUS, minFreeMb: v.SQLITE_MIN_FREE_MB },
    webDir: v.WEB_DIR || null,
    secret: secret(v, mode),
    smtp: smtpSetting(v, brand.brandName),
    sms: smsSetting(v),
    currency: currencyCode,
    wallet: { topupMaxMinor: v.TOPUP_MAX_MINOR, topupDailyMaxMinor: v.TOPUP_DAILY_MAX_MINOR },
    paymentWebhookSecret: webhookSecret(v, mode),
    paymentProvider: v.PAYMENT_PROVIDER,
    stripe: stripeSetting(env, v, mode),
    alipay: alipaySetting(env, v, mode, currencyCode),
    smdp: {
      url: urlSetting('SMDP_URL', v.SMDP_URL, ['http', 'https']),
      requesterId: v.SMDP_REQUESTER_ID,
      timeoutMs: v.SMDP_TIMEOUT_MS,
      emulatorAddress: v.SMDP_EMULATOR_ADDRESS,
      emulatorInventory: v.SMDP_EMULATOR_INVENTORY,
      profileType: v.SMDP_PROFILE_TYPE,
      tls: smdpTls(v),
      callerId: smdpCallerId(v),
      emulatorProfileTypes: emulatorProfileTypes(v),
    },
    es2: es2Setting(v, mode, port),
    iccid: { prefix: v.ICCID_PREFIX, length: v.ICCID_LENGTH as 19 | 20 },
    exportDir: path.resolve(v.EXPORT_DIR),
    cancellation: { reviewDays: v.CANCELLATION_REVIEW_DAYS, autoApprove: v.CANCELLATION_AUTO_APPROVE },
    retentionDays: v.RETENTION_DAYS,
    usageRetentionMonths: v.USAGE_RETENTION_MONTHS,
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
    sessionCacheMs: v.SESSION_CACHE_MS,
    trustProxy: trustProxy(v),
    metricsToken: metricsToken(v),
    idempotencyClaimSeconds: v.IDEMPOTENCY_CLAIM_SECONDS,
    adjustmentApprovalMinor: v.ADJUSTMENT_APPROVAL_MINOR,
    lines: {
      maxProfilesPerLine: v.MAX_PROFILES_PER_LINE,
      numberPrefix: v.NUMBER_PREFIX,
      numberDigits: v.NUMBER_DIGITS,
      quarantineDays: v.NUMBER_QUARANTINE_DAYS,
    },
  };
}

function brandSettings(v: EnvValues): Pick<Config, 'brandName' | 'brandColor' | 'brandLogoUrl'> {
  const brandName = v.BRAND_NAME.trim();
  if (brandName === '' || brandName.length > 60)
    throw new ConfigError('BRAND_NAME', 'must be 1 to 60 characters');
  const brandColor = v.BRAND_COLOR.trim();
  if (!/^#[0-9a-fA-F]{6}$/.test(brandColor)) throw new ConfigError('BRAND_COLOR', 'must be #rrggbb');
  const brandLogoUrl = v.BRAND_LOGO_URL.trim();
  if (!/^(https?:\/\/[^\s]+|\/[^\s/][^\s]*)$/.test(brandLogoUrl))
    throw new ConfigError('BRAND_LOGO_URL', 'must be an http(s) URL or a path starting with /');
  return { brandName, brandColor, brandLogoUrl };
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

/** DATABASE_URL; with PostgreSQL, the pool size and the read replicas (DATABASE_READ_URL, comma-separated). */
function database(v: EnvValues): DatabaseConfig {
  const primary = parseDatabaseUrl(v.DATABASE_URL);
  const withPool: DatabaseConfig =
    primary.dialect === 'postgres' ? { ...primary, poolSize: v.DATABASE_POOL_SIZE } : primary;
  const raw = (v.DATABASE_READ_URL ?? '').trim();
  if (raw === '') return withPool;
  if (withPool.dialect !== 'postgres')
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
  return { ...withPool, readUrls };
}

function countryCode(v: EnvValues): string {
  const raw = v.OPERATOR_COUNTRY.toUpperCase();
  if (!/^[A-Z]{2}$/.test(raw))
    throw new ConfigError('OPERATOR_COUNTRY', `must be an ISO 3166 alpha-2 code, got "${raw}"`);
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

function timeZone(v: EnvValues, country: string): string {
  const raw = v.OPERATOR_TIME_ZONE || COUNTRY_ZONES[country] || 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
  } catch {
    throw new ConfigError('OPERATOR_TIME_ZONE', `is not an IANA time zone: "${raw}"`);
  }
  return raw;
}

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxy(v: EnvValues): string[] {
  const raw = v.TRUST_PROXY;
  // No proxy is trusted unless one is named: a client on a private network must not pick its own address.
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'none') return [];
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!PROXY_PRESETS.includes(entry) && !isAddressOrCidr(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `"${entry}" is not an address, a CIDR, loopback, linklocal or uniquelocal`,
      );
    }
  }
  return entries;
}

function smtpSetting(v: EnvValues, brandName: string): Config['smtp'] {
  const url = urlSetting('SMTP_URL', v.SMTP_URL, ['smtp', 'smtps']);
  if (!url) return null;
  const from = v.SMTP_FROM || `${brandName} <no-reply@${new URL(url).hostname}>`;
  if (!/@/.test(from)) throw new ConfigError('SMTP_FROM', `must contain an email address, got "${from}"`);
  return { url, from };
}

function smsSetting(v: EnvValues): Config['sms'] {
  const url = urlSetting('SMS_GATEWAY_URL', v.SMS_GATEWAY_URL, ['http', 'https']);
  return url ? { url, key: v.SMS_GATEWAY_KEY || null } : null;
}
