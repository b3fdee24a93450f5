import { ConfigError, type Env } from './env.js';
import type { EnvValues } from './env.schema.js';
import type { AlipayConfig, Mode, StripeConfig } from './types.js';
import { list, urlSetting } from './values.js';

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

/**
 * A provider's settings apply only when PAYMENT_PROVIDER names it; set (not blank) for another
 * provider, they are refused. `env` is the raw environment: a variable with a default is still unset.
 */
function forProvider(env: Env, v: EnvValues, provider: string, names: readonly string[]): boolean {
  if (v.PAYMENT_PROVIDER === provider) return true;
  const stray = names.find((name) => env[name]?.trim());
  if (stray) throw new ConfigError(stray, `is set, but PAYMENT_PROVIDER is not ${provider}`);
  return false;
}

/** Blank is as good as unset. */
const given = (raw: string | undefined) => raw?.trim() || undefined;

export function stripeSetting(env: Env, v: EnvValues, mode: Mode): StripeConfig | null {
  if (!forProvider(env, v, 'stripe', STRIPE_VARIABLES)) return null;
  const secretKey = given(v.STRIPE_SECRET_KEY);
  if (!secretKey) throw new ConfigError('STRIPE_SECRET_KEY', 'is required with PAYMENT_PROVIDER=stripe');
  const key = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,250}$/.exec(secretKey);
  if (!key)
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      'must be a secret or restricted key (sk_live_…, sk_test_…, rk_…)',
    );
  const testMode = key[2] === 'test';
  if (mode === 'production' && testMode && !v.STRIPE_ALLOW_TEST_KEY)
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      'is a test-mode key, which takes no real money; use a live key, or set STRIPE_ALLOW_TEST_KEY=true to run production on test payments',
    );
  const webhookSecret = given(v.STRIPE_WEBHOOK_SECRET);
  if (!webhookSecret || !/^whsec_[A-Za-z0-9+/=_]{8,250}$/.test(webhookSecret))
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET',
      "must be the webhook endpoint's signing secret (whsec_…) with PAYMENT_PROVIDER=stripe",
    );
  const apiUrl = urlSetting('STRIPE_API_URL', v.STRIPE_API_URL, ['http', 'https']);
  if (apiUrl && mode === 'production')
    throw new ConfigError('STRIPE_API_URL', 'is for tests against a local peer; production talks to Stripe');
  const listed = given(v.STRIPE_PAYMENT_METHODS);
  const methods = listed ? list(listed, ',') : ['card'];
  const unknown = methods.find((m) => !(STRIPE_PAYMENT_METHODS as readonly string[]).includes(m));
  if (unknown || methods.length === 0)
    throw new ConfigError(
      'STRIPE_PAYMENT_METHODS',
      `must be a comma list of ${STRIPE_PAYMENT_METHODS.join(', ')}${unknown ? `; got "${unknown}"` : ''}`,
    );
  return { secretKey, webhookSecret, apiUrl, paymentMethods: [...new Set(methods)], testMode };
}

const ALIPAY_GATEWAY = 'https://openapi.alipay.com/gateway.do';

export function alipaySetting(env: Env, v: EnvValues, mode: Mode, currency: string): AlipayConfig | null {
  if (!forProvider(env, v, 'alipay', ALIPAY_VARIABLES)) return null;
  const appId = given(v.ALIPAY_APP_ID);
  if (!appId || !/^\d{8,32}$/.test(appId))
    throw new ConfigError(
      'ALIPAY_APP_ID',
      'must be the app id Alipay gave (digits) with PAYMENT_PROVIDER=alipay',
    );
  const privateKeyFile = given(v.ALIPAY_PRIVATE_KEY_FILE);
  if (!privateKeyFile)
    throw new ConfigError(
      'ALIPAY_PRIVATE_KEY_FILE',
      "is required with PAYMENT_PROVIDER=alipay (the app's RSA private key)",
    );
  const publicKeyFile = given(v.ALIPAY_PUBLIC_KEY_FILE);
  if (!publicKeyFile)
    throw new ConfigError(
      'ALIPAY_PUBLIC_KEY_FILE',
      "is required with PAYMENT_PROVIDER=alipay (Alipay's RSA public key)",
    );
  const schemes = mode === 'production' ? ['https'] : ['http', 'https'];
  const gateway = urlSetting('ALIPAY_GATEWAY', v.ALIPAY_GATEWAY, schemes);
  if (gateway && !/\/gateway\.do$/.test(new URL(gateway).pathname))
    throw new ConfigError('ALIPAY_GATEWAY', 'must be the openapi gateway URL ending in /gateway.do');
  const resolved = gateway ?? ALIPAY_GATEWAY;
  if (currency !== 'CNY')
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

/** CURRENCY, else the operator country's, else USD. */
export function currency(v: EnvValues, country: string): string {
  const raw = (v.CURRENCY || COUNTRY_CURRENCIES[country] || 'USD').toUpperCase();
  if (!/^[A-Z]{3}$/.test(raw) || !Intl.supportedValuesOf('currency').includes(raw)) {
    throw new ConfigError('CURRENCY', `must be an ISO 4217 code, got "${raw}"`);
  }
  return raw;
}
