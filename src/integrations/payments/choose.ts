import { readFileSync } from 'node:fs';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/database.js';
import { createAlipayProvider } from './alipay-provider.js';
import type { PaymentEvent, PaymentProvider } from './provider.js';
import { createStripeProvider, type OurObject } from './stripe-provider.js';
import { createTestPaymentProvider, type TestPaymentProvider } from './test-provider.js';

interface ProviderDeps {
  db: Db;
  clock: Clock;
  /** Applies what a provider says happened (the webhook handler's core). */
  settle: (event: PaymentEvent) => Promise<unknown>;
  /** Our record of a payment or refund, for adapters that look one up. */
  objectOf: (kind: 'payment' | 'refund', id: string) => Promise<OurObject | null>;
  /** Delivers a signed webhook of the built-in test provider to our own handler. */
  deliverTest: (rawBody: string, signature: string) => Promise<unknown>;
}

/**
 * The payment provider this process talks to: the Stripe or Alipay adapter when PAYMENT_PROVIDER
 * names one (docs/payments.md), else the built-in test provider where demo mode allows it; anything
 * else is a configuration error at start-up.
 */
export function choosePaymentProvider(
  config: Config,
  deps: ProviderDeps,
): { provider: PaymentProvider; test: TestPaymentProvider | null } {
  const real = realPaymentProvider(config, deps);
  if (real) return { provider: real, test: null };
  if (!config.demoParts.has('test-payments'))
    throw new Error(`no payment provider adapter for ${config.paymentProvider}`);
  const test = createTestPaymentProvider({
    db: deps.db,
    secret: config.paymentWebhookSecret,
    clock: deps.clock,
    deliver: async ({ rawBody, signature }) => {
      await deps.deliverTest(rawBody, signature);
    },
  });
  return { provider: test.provider, test };
}

function realPaymentProvider(config: Config, deps: ProviderDeps): PaymentProvider | null {
  const { clock, settle, objectOf } = deps;
  if (config.stripe) return createStripeProvider({ config: config.stripe, clock, settle, objectOf });
  if (config.alipay)
    return createAlipayProvider({
      config: config.alipay,
      privateKey: readFileSync(config.alipay.privateKeyFile, 'utf8'),
      alipayPublicKey: readFileSync(config.alipay.publicKeyFile, 'utf8'),
      notifyUrl: `${config.publicUrl}/api/v1/payments/webhooks/alipay`,
      clock,
      settle,
      objectOf,
    });
  return null;
}
