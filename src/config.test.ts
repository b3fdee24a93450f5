import { describe, expect, it } from 'vitest';
import { configError, STRONG_SECRET as STRONG } from '../test/helpers/config.js';
import { ENV_NAMES } from './config/env.js';
import { configFrom } from './config/load.js';
import {
  DEFAULT_POOL_SIZE,
  type Env,
  estimatedBits,
  loadConfig,
  parseDatabaseUrl,
  parseEnv,
  periodOf,
  readEnv,
} from './config.js';

describe('configuration', () => {
  it('defaults to demo mode, port 8080 and SQLite under ./data', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('demo');
    expect(config.port).toBe(8080);
    expect(config.database).toMatchObject({ dialect: 'sqlite' });
    expect(config.database.dialect === 'sqlite' && config.database.path.endsWith('data/esimdesk.db')).toBe(
      true,
    );
    expect([...config.demoParts].sort()).toEqual(['dev-mailbox', 'smdp-emulator', 'test-payments']);
    expect(config.sqlite.synchronous).toBe('FULL');
  });

  it('reads the database dialect from DATABASE_URL', () => {
    expect(parseDatabaseUrl('postgres://u@h:5432/db')).toEqual({
      dialect: 'postgres',
      url: 'postgres://u@h:5432/db',
    });
    expect(parseDatabaseUrl('postgresql://u@h/db').dialect).toBe('postgres');
    expect(parseDatabaseUrl('sqlite:/tmp/x.db')).toEqual({ dialect: 'sqlite', path: '/tmp/x.db' });
    expect(parseDatabaseUrl('sqlite:///tmp/x.db')).toEqual({ dialect: 'sqlite', path: '/tmp/x.db' });
    expect(parseDatabaseUrl('/var/lib/esimdesk.db')).toEqual({
      dialect: 'sqlite',
      path: '/var/lib/esimdesk.db',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ESIMDESK_MODE: 'staging' }, 'ESIMDESK_MODE'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    [{ OPERATOR_COUNTRY: 'China' }, 'OPERATOR_COUNTRY'],
    [{ OPERATOR_TIME_ZONE: 'Mars/Olympus' }, 'OPERATOR_TIME_ZONE'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
    [{ RUNNER_ENABLED: 'maybe' }, 'RUNNER_ENABLED'],
    [{ BRAND_NAME: '   ' }, 'BRAND_NAME'],
    [{ USAGE_RETENTION_MONTHS: '2' }, 'USAGE_RETENTION_MONTHS'],
    [{ USAGE_RETENTION_MONTHS: '121' }, 'USAGE_RETENTION_MONTHS'],
    [{ USAGE_RETENTION_MONTHS: 'forever' }, 'USAGE_RETENTION_MONTHS'],
  ])('refuses %o naming the variable', (env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('refuses production with demo-only parts unless each is allowed', () => {
    expect(configError({ ESIMDESK_MODE: 'production' }).variable).toBe('SMDP_URL');
    expect(configError({ ESIMDESK_MODE: 'production', SMDP_URL: 'https://smdp.example.com' }).variable).toBe(
      'PAYMENT_PROVIDER',
    );
    const allowed = loadConfig({
      ESIMDESK_MODE: 'production',
      ESIMDESK_SECRET: STRONG,
      ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
    });
    expect([...allowed.demoParts].sort()).toEqual(['dev-mailbox', 'smdp-emulator', 'test-payments']);
    const real = loadConfig({
      ESIMDESK_MODE: 'production',
      ESIMDESK_SECRET: STRONG,
      SMDP_URL: 'https://smdp.example.com',
      ...REAL_SMDP_CALLBACK,
      ESIMDESK_ALLOW_DEMO_PARTS: 'test-payments',
      SMTP_URL: 'smtp://relay.example.com:587',
      SMS_GATEWAY_URL: 'https://sms.example.com/send',
    });
    expect([...real.demoParts]).toEqual(['test-payments']);
    expect(configError({ PAYMENT_PROVIDER: 'acme-pay' }).variable).toBe('PAYMENT_PROVIDER');
    expect(
      configError({ ESIMDESK_MODE: 'production', ESIMDESK_ALLOW_DEMO_PARTS: 'everything' }).variable,
    ).toBe('ESIMDESK_ALLOW_DEMO_PARTS');
  });

  it('believes X-Forwarded-For only from the configured proxies', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: 'none' }).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: 'loopback,uniquelocal' }).trustProxy).toEqual([
      'loopback',
      'uniquelocal',
    ]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      '::1',
    ]);
    for (const bad of ['10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', 'everyone'])
      expect(configError({ TRUST_PROXY: bad }).message).toMatch(/^TRUST_PROXY: /);
  });

  it('picks the operator time zone from the country unless set', () => {
    expect(loadConfig({ OPERATOR_COUNTRY: 'cn' }).operatorTimeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ OPERATOR_COUNTRY: 'DE' }).operatorTimeZone).toBe('Europe/Berlin');
    expect(loadConfig({ OPERATOR_COUNTRY: 'DE', OPERATOR_TIME_ZONE: 'UTC' }).operatorTimeZone).toBe('UTC');
  });

  it('refuses the demo secret and guessable secrets in production', () => {
    const production = {
      ESIMDESK_MODE: 'production',
      ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
    };
    for (const weak of [
      'esimdesk-demo-secret-not-for-production-use',
      'x'.repeat(32),
      'abab'.repeat(10),
      '0123'.repeat(8),
      // Repeated pieces pass a character count but carry only the piece's worth of guessing.
      '0123456789abcdef0123456789abcdef',
      'Password1Password1Password1Password1',
    ]) {
      expect(configError({ ...production, ESIMDESK_SECRET: weak }).variable).toBe('ESIMDESK_SECRET');
    }
    expect(
      configError({ ...production, ESIMDESK_SECRET: STRONG, PAYMENT_WEBHOOK_SECRET: 'p'.repeat(40) })
        .variable,
    ).toBe('PAYMENT_WEBHOOK_SECRET');
    expect(loadConfig({ ...production, ESIMDESK_SECRET: STRONG }).secret).toBe(STRONG);
    // Demo mode is for trying things out: any value of the minimum length is fine there.
    expect(loadConfig({ ESIMDESK_SECRET: 'x'.repeat(32) }).secret).toBe('x'.repeat(32));
    expect(estimatedBits('x'.repeat(64))).toBe(0);
    expect(estimatedBits(STRONG)).toBeGreaterThan(96);
    expect(periodOf(STRONG)).toBe(STRONG.length);
    expect(periodOf('Password1Password1Pass')).toBe(9);
  });

  it('sizes the PostgreSQL pool from DATABASE_POOL_SIZE, bounded', () => {
    const pg = (env: Record<string, string>) =>
      loadConfig({ DATABASE_URL: 'postgres://u@h/db', ...env }).database;
    expect(pg({})).toMatchObject({ dialect: 'postgres', poolSize: DEFAULT_POOL_SIZE });
    expect(DEFAULT_POOL_SIZE).toBeGreaterThanOrEqual(4);
    expect(pg({ DATABASE_POOL_SIZE: '24' })).toMatchObject({ poolSize: 24 });
    expect(configError({ DATABASE_URL: 'postgres://u@h/db', DATABASE_POOL_SIZE: '0' }).variable).toBe(
      'DATABASE_POOL_SIZE',
    );
    expect(loadConfig({ DATABASE_POOL_SIZE: '24' }).database).not.toHaveProperty('poolSize');
  });

  it('takes a metrics token only if it is long enough', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe(
      'scrape-token-0123456789',
    );
    expect(configError({ METRICS_TOKEN: 'short' }).variable).toBe('METRICS_TOKEN');
    expect(configError({ METRICS_TOKEN: 'has spaces in the token value' }).variable).toBe('METRICS_TOKEN');
  });
});

/** What a real SM-DP+ needs besides SMDP_URL: its identity and the ES2+ listener for its notifications. */
const REAL_SMDP_CALLBACK: Env = {
  SMDP_CALLER_ID: 'smdp.example.com',
  ES2_PORT: '8443',
  ES2_TLS_CERT: '/etc/esimdesk/es2-server.pem',
  ES2_TLS_KEY: '/etc/esimdesk/es2-server.key',
  ES2_TLS_CLIENT_CA: '/etc/esimdesk/smdp-ca.pem',
};

describe('configuration: the ES2+ listener and the SM-DP+ identity', () => {
  it('serves the notification nowhere but demo mode unless the listener is configured', () => {
    const demo = loadConfig({});
    expect(demo.es2).toEqual({ listener: null, trustedProxy: null });
    expect(demo.smdp.callerId).toBe('esimdesk-smdp-emulator');
    expect(demo.smdp.emulatorProfileTypes).toEqual(['esimdesk-default']);
  });

  it('reads a mutual-TLS listener and a trusted proxy', () => {
    const tls = loadConfig({ SMDP_URL: 'https://smdp.example.com', ...REAL_SMDP_CALLBACK });
    expect(tls.es2.listener).toEqual({
      port: 8443,
      tls: {
        certFile: '/etc/esimdesk/es2-server.pem',
        keyFile: '/etc/esimdesk/es2-server.key',
        clientCaFile: '/etc/esimdesk/smdp-ca.pem',
      },
    });
    expect(tls.smdp.callerId).toBe('smdp.example.com');
    const proxied = loadConfig({
      ES2_PORT: '9443',
      ES2_TRUSTED_PROXY_HEADER: 'X-SSL-Client-Fingerprint',
      ES2_TRUSTED_PROXY_ALLOW:
        'CN=smdp.example.com,O=Example; AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01',
      ES2_TRUSTED_PROXY_PEERS: '10.0.0.0/8, 192.0.2.7',
    });
    expect(proxied.es2).toEqual({
      listener: { port: 9443, tls: null },
      trustedProxy: {
        header: 'x-ssl-client-fingerprint',
        allow: [
          'CN=smdp.example.com,O=Example',
          'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01',
        ],
        peers: ['10.0.0.0/8', '192.0.2.7'],
      },
    });
    expect(
      loadConfig({ SMDP_EMULATOR_PROFILE_TYPES: 'esimdesk-default, travel' }).smdp.emulatorProfileTypes,
    ).toEqual(['esimdesk-default', 'travel']);
  });

  it.each([
    [{ ES2_PORT: 'https' }, 'ES2_PORT'],
    [{ ES2_PORT: '8443' }, 'ES2_TLS_CERT'],
    [{ ES2_PORT: '8080' }, 'ES2_PORT'],
    [{ ES2_PORT: '70000', ES2_TLS_CERT: 'c', ES2_TLS_KEY: 'k', ES2_TLS_CLIENT_CA: 'ca' }, 'ES2_PORT'],
    [{ ES2_PORT: '8443', ES2_TLS_CERT: 'c', ES2_TLS_KEY: 'k' }, 'ES2_TLS_CLIENT_CA'],
    [{ ES2_TLS_CERT: 'c', ES2_TLS_KEY: 'k', ES2_TLS_CLIENT_CA: 'ca' }, 'ES2_TLS_CERT'],
    [{ ES2_TRUSTED_PROXY_ALLOW: 'CN=x' }, 'ES2_TRUSTED_PROXY_ALLOW'],
    [{ ES2_PORT: '8443', ES2_TRUSTED_PROXY_HEADER: 'x-client-cert' }, 'ES2_TRUSTED_PROXY_ALLOW'],
    [
      { ES2_PORT: '8443', ES2_TRUSTED_PROXY_HEADER: 'x-client-cert', ES2_TRUSTED_PROXY_ALLOW: 'CN=x' },
      'ES2_TRUSTED_PROXY_PEERS',
    ],
    [
      {
        ES2_PORT: '8443',
        ES2_TRUSTED_PROXY_HEADER: 'x-client-cert',
        ES2_TRUSTED_PROXY_ALLOW: 'CN=x',
        ES2_TRUSTED_PROXY_PEERS: 'everyone',
      },
      'ES2_TRUSTED_PROXY_PEERS',
    ],
    [{ ES2_PORT: '8443', ES2_TRUSTED_PROXY_HEADER: 'bad header!' }, 'ES2_TRUSTED_PROXY_HEADER'],
    [{ SMDP_URL: 'https://smdp.example.com' }, 'SMDP_CALLER_ID'],
    [{ SMDP_CALLER_ID: 'has spaces in it' }, 'SMDP_CALLER_ID'],
    [{ SMDP_EMULATOR_PROFILE_TYPES: 'travel' }, 'SMDP_EMULATOR_PROFILE_TYPES'],
    [
      {
        ESIMDESK_MODE: 'production',
        ESIMDESK_SECRET: STRONG,
        ESIMDESK_ALLOW_DEMO_PARTS: 'test-payments,dev-mailbox',
        SMDP_URL: 'https://smdp.example.com',
        SMDP_CALLER_ID: 'smdp.example.com',
      },
      'ES2_PORT',
    ],
  ])('refuses %o naming %s', (env, variable) => {
    expect(configError(env as Record<string, string>).variable).toBe(variable);
  });
});

/** Builds a configuration from each of `envs` and returns every parsed variable the rules looked at. */
function variablesUsed(envs: Env[]): Set<string> {
  const used = new Set<string>();
  for (const env of envs) {
    const watched = new Proxy(parseEnv(env), {
      get(target, key) {
        if (typeof key === 'string') used.add(key);
        return Reflect.get(target, key);
      },
    });
    configFrom(env, watched);
  }
  return used;
}

describe('configuration: every variable of the schema is used', () => {
  // The schema is the README's table (src/config/env.test.ts); here, no variable in it is dead.
  const production: Env = {
    ESIMDESK_MODE: 'production',
    ESIMDESK_SECRET: STRONG,
    ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
  };
  const used = variablesUsed([
    {},
    production,
    // The settings that make optional parts apply.
    {
      DATABASE_URL: 'postgres://u@h/db',
      SMTP_URL: 'smtp://relay.example.com:587',
      SMS_GATEWAY_URL: 'https://sms.example.com/send',
      SMDP_TLS_CERT: '/etc/esimdesk/client.pem',
      SMDP_TLS_KEY: '/etc/esimdesk/client.key',
    },
    {
      ...production,
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_abcdefgh12345',
      STRIPE_WEBHOOK_SECRET: 'whsec_abcdefgh1234',
      STRIPE_ALLOW_TEST_KEY: 'true',
    },
    {
      PAYMENT_PROVIDER: 'alipay',
      CURRENCY: 'CNY',
      ALIPAY_APP_ID: '2021000000000001',
      ALIPAY_PRIVATE_KEY_FILE: '/etc/esimdesk/alipay-app.pem',
      ALIPAY_PUBLIC_KEY_FILE: '/etc/esimdesk/alipay-public.pem',
    },
  ]);

  it.each(ENV_NAMES)('%s goes from the environment into the configuration', (name) => {
    expect(readEnv({ [name]: 'sentinel' })[name]).toBe('sentinel');
    expect(used.has(name)).toBe(true);
  });

  it('USAGE_RETENTION_MONTHS reaches the configuration, 24 months unless set', () => {
    expect(loadConfig({}).usageRetentionMonths).toBe(24);
    expect(loadConfig(readEnv({ USAGE_RETENTION_MONTHS: '60' })).usageRetentionMonths).toBe(60);
  });

  it('SESSION_CACHE_MS reaches the configuration from the environment', () => {
    expect(loadConfig(readEnv({ SESSION_CACHE_MS: '0' })).sessionCacheMs).toBe(0);
    expect(configError({ SESSION_CACHE_MS: '-1' }).variable).toBe('SESSION_CACHE_MS');
  });
});
