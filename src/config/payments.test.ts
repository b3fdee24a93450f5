import { describe, expect, it } from 'vitest';
import { configError, STRONG_SECRET as STRONG } from '../../test/helpers/config.js';
import { loadConfig } from '../config.js';

describe('configuration: the Stripe and Alipay adapters', () => {
  const production = {
    ESIMDESK_MODE: 'production',
    ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,dev-mailbox',
    ESIMDESK_SECRET: STRONG,
  };
  const stripe = {
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_abcdefgh12345',
    STRIPE_WEBHOOK_SECRET: 'whsec_abcdefgh1234',
  };
  const alipay = {
    PAYMENT_PROVIDER: 'alipay',
    CURRENCY: 'CNY',
    ALIPAY_APP_ID: '2021000000000001',
    ALIPAY_PRIVATE_KEY_FILE: '/etc/esimdesk/alipay-app.pem',
    ALIPAY_PUBLIC_KEY_FILE: '/etc/esimdesk/alipay-public.pem',
  };

  it('reads Stripe: keys, test mode, payment methods (card unless set), and takes no test payments', () => {
    const config = loadConfig(stripe);
    expect(config.stripe).toEqual({
      secretKey: stripe.STRIPE_SECRET_KEY,
      webhookSecret: stripe.STRIPE_WEBHOOK_SECRET,
      apiUrl: null,
      paymentMethods: ['card'],
      testMode: true,
    });
    expect(config.alipay).toBeNull();
    expect(config.demoParts.has('test-payments')).toBe(false);
    const methods = loadConfig({ ...stripe, STRIPE_PAYMENT_METHODS: 'card, alipay,wechat_pay,card' }).stripe;
    expect(methods?.paymentMethods).toEqual(['card', 'alipay', 'wechat_pay']);
    expect(loadConfig({ ...stripe, STRIPE_SECRET_KEY: 'rk_live_abcdefgh12345' }).stripe?.testMode).toBe(
      false,
    );
    expect(loadConfig({ ...stripe, STRIPE_API_URL: 'http://127.0.0.1:12111' }).stripe?.apiUrl).toBe(
      'http://127.0.0.1:12111',
    );
  });

  it.each([
    [{ STRIPE_SECRET_KEY: '' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_SECRET_KEY: 'pk_test_abcdefgh12345' }, 'STRIPE_SECRET_KEY'], // a publishable key
    [{ STRIPE_SECRET_KEY: 'sk_test_short' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_SECRET_KEY: `sk_live_${'a'.repeat(251)}` }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_WEBHOOK_SECRET: '' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_WEBHOOK_SECRET: 'secret_abcdefgh1234' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_WEBHOOK_SECRET: 'whsec_short' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_PAYMENT_METHODS: 'card,bitcoin' }, 'STRIPE_PAYMENT_METHODS'],
    [{ STRIPE_PAYMENT_METHODS: ' , ' }, 'STRIPE_PAYMENT_METHODS'],
    [{ STRIPE_API_URL: 'ftp://127.0.0.1' }, 'STRIPE_API_URL'],
    [{ STRIPE_ALLOW_TEST_KEY: 'maybe' }, 'STRIPE_ALLOW_TEST_KEY'],
  ])('refuses Stripe setting %o naming the variable', (env, variable) => {
    expect(configError({ ...stripe, ...env }).variable).toBe(variable);
  });

  it('refuses a test-mode Stripe key in production unless STRIPE_ALLOW_TEST_KEY, and a local API URL always', () => {
    const error = configError({ ...production, ...stripe });
    expect(error.variable).toBe('STRIPE_SECRET_KEY');
    expect(error.message).toMatch(/test-mode key.*STRIPE_ALLOW_TEST_KEY=true/);
    expect(loadConfig({ ...production, ...stripe, STRIPE_ALLOW_TEST_KEY: 'true' }).stripe?.testMode).toBe(
      true,
    );
    expect(configError({ ...production, ...stripe, STRIPE_ALLOW_TEST_KEY: 'false' }).variable).toBe(
      'STRIPE_SECRET_KEY',
    );
    const live = { ...production, ...stripe, STRIPE_SECRET_KEY: 'sk_live_abcdefgh12345' };
    expect(loadConfig(live).stripe?.testMode).toBe(false);
    expect(configError({ ...live, STRIPE_API_URL: 'https://stripe-peer.internal' }).variable).toBe(
      'STRIPE_API_URL',
    );
  });

  it('reads Alipay: app id, key files, the production gateway unless set, sandbox as test mode', () => {
    expect(loadConfig(alipay).alipay).toEqual({
      appId: alipay.ALIPAY_APP_ID,
      privateKeyFile: alipay.ALIPAY_PRIVATE_KEY_FILE,
      publicKeyFile: alipay.ALIPAY_PUBLIC_KEY_FILE,
      gateway: 'https://openapi.alipay.com/gateway.do',
      testMode: false,
    });
    const sandbox = loadConfig({
      ...alipay,
      ALIPAY_GATEWAY: 'https://openapi-sandbox.dl.alipaydev.com/gateway.do',
    });
    expect(sandbox.alipay?.testMode).toBe(true);
    expect(sandbox.stripe).toBeNull();
    expect(sandbox.demoParts.has('test-payments')).toBe(false);
    expect(loadConfig({ ...production, ...alipay }).alipay?.testMode).toBe(false);
  });

  it.each([
    [{ ALIPAY_APP_ID: '' }, 'ALIPAY_APP_ID'],
    [{ ALIPAY_APP_ID: 'app-2021' }, 'ALIPAY_APP_ID'],
    [{ ALIPAY_APP_ID: '1234567' }, 'ALIPAY_APP_ID'],
    [{ ALIPAY_APP_ID: '1'.repeat(33) }, 'ALIPAY_APP_ID'],
    [{ ALIPAY_PRIVATE_KEY_FILE: '' }, 'ALIPAY_PRIVATE_KEY_FILE'],
    [{ ALIPAY_PUBLIC_KEY_FILE: '' }, 'ALIPAY_PUBLIC_KEY_FILE'],
    [{ ALIPAY_GATEWAY: 'not a url' }, 'ALIPAY_GATEWAY'],
    [{ ALIPAY_GATEWAY: 'https://openapi.alipay.com/' }, 'ALIPAY_GATEWAY'],
    [{ CURRENCY: 'USD' }, 'CURRENCY'],
  ])('refuses Alipay setting %o naming the variable', (env, variable) => {
    expect(configError({ ...alipay, ...env }).variable).toBe(variable);
  });

  it('refuses a plain-http Alipay gateway in production', () => {
    expect(
      configError({ ...production, ...alipay, ALIPAY_GATEWAY: 'http://openapi.alipay.com/gateway.do' })
        .variable,
    ).toBe('ALIPAY_GATEWAY');
  });

  it('refuses a provider’s variables when PAYMENT_PROVIDER names another one (or none)', () => {
    expect(configError({ ...stripe, ALIPAY_APP_ID: '2021000000000001' }).variable).toBe('ALIPAY_APP_ID');
    expect(configError({ ...alipay, STRIPE_SECRET_KEY: 'sk_live_abcdefgh12345' }).variable).toBe(
      'STRIPE_SECRET_KEY',
    );
    expect(configError({ STRIPE_WEBHOOK_SECRET: 'whsec_abcdefgh1234' }).message).toBe(
      'STRIPE_WEBHOOK_SECRET: is set, but PAYMENT_PROVIDER is not stripe',
    );
    expect(
      configError({ PAYMENT_PROVIDER: 'test', ALIPAY_GATEWAY: 'https://x.example/gateway.do' }).variable,
    ).toBe('ALIPAY_GATEWAY');
    // Blank values are as good as unset.
    expect(loadConfig({ ...stripe, ALIPAY_APP_ID: '  ' }).alipay).toBeNull();
  });
});
