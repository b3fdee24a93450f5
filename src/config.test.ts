import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDatabaseUrl } from './config.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

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
      ESIMDESK_SECRET: 'x'.repeat(32),
      ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
    });
    expect([...allowed.demoParts].sort()).toEqual(['dev-mailbox', 'smdp-emulator', 'test-payments']);
    const real = loadConfig({
      ESIMDESK_MODE: 'production',
      ESIMDESK_SECRET: 'x'.repeat(32),
      SMDP_URL: 'https://smdp.example.com',
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
    expect(loadConfig({}).trustProxy).toEqual(['loopback', 'linklocal', 'uniquelocal']);
    expect(loadConfig({ TRUST_PROXY: 'none' }).trustProxy).toEqual([]);
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
});
