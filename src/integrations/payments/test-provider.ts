import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { PaymentEvent, PaymentProvider } from './provider.js';
import { signPayload } from './signature.js';

/** `lost`: settled at the provider, but the webhook never arrives (only a lookup finds out). */
export type TestOutcome = 'succeed' | 'fail' | 'pending' | 'lost';

export interface SignedDelivery {
  rawBody: string;
  signature: string;
}

/**
 * The built-in TEST payment provider (demo mode and tests; never moves real money). It settles every
 * payment and refund by sending a signed webhook through the same handler a real provider's webhook
 * reaches. Tests steer it: the next outcomes can fail or stay pending (held), and held deliveries can
 * be released later, twice, or out of order.
 */
export function createTestPaymentProvider(deps: {
  secret: string;
  clock: Clock;
  deliver: (delivery: SignedDelivery) => Promise<void>;
}) {
  const held: SignedDelivery[] = [];
  /** Webhooks that were sent into the void (outcome `lost`), kept so tests can deliver them late. */
  const lost: SignedDelivery[] = [];
  /** What the provider knows: every settled payment and refund, by esimdesk's object id. */
  const settled = new Map<string, PaymentEvent>();
  const outcomes = { payment: 'succeed' as TestOutcome, refund: 'succeed' as TestOutcome };
  const created = new Map<string, string>();

  function signed(event: PaymentEvent): SignedDelivery {
    const rawBody = JSON.stringify(event);
    return {
      rawBody,
      signature: signPayload(deps.secret, rawBody, Math.floor(deps.clock.now().getTime() / 1000)),
    };
  }

  async function settle(kind: 'payment' | 'refund', data: PaymentEvent['data']): Promise<void> {
    const outcome = outcomes[kind];
    const type = `${kind}.${outcome === 'fail' ? 'failed' : 'succeeded'}` as PaymentEvent['type'];
    const event: PaymentEvent = {
      id: `evt_${randomUUID()}`,
      type,
      data: outcome === 'fail' ? { ...data, reason: 'declined by the test provider' } : data,
    };
    const delivery = signed(event);
    if (outcome === 'pending') {
      held.push(delivery);
      return;
    }
    settled.set(data.objectId, event);
    if (outcome === 'lost') lost.push(delivery);
    else await deps.deliver(delivery);
  }

  const provider: PaymentProvider = {
    name: 'test',
    testMode: true,
    async createPayment({ paymentId, amount, currency }) {
      const providerRef = created.get(paymentId) ?? `tp_pay_${paymentId.slice(4)}`;
      if (!created.has(paymentId)) {
        created.set(paymentId, providerRef);
        await settle('payment', { objectId: paymentId, providerRef, amount, currency });
      }
      return { providerRef };
    },
    async refund({ refundId, amount, currency }) {
      const providerRef = created.get(refundId) ?? `tp_rfd_${refundId.slice(4)}`;
      if (!created.has(refundId)) {
        created.set(refundId, providerRef);
        await settle('refund', { objectId: refundId, providerRef, amount, currency });
      }
      return { providerRef };
    },
    async lookup(_kind, objectId) {
      return settled.get(objectId) ?? null;
    },
  };

  return {
    provider,
    /** The outcome of the next payments / refunds: succeed, fail, or stay pending (webhook held). */
    setOutcome(kind: 'payment' | 'refund', outcome: TestOutcome) {
      outcomes[kind] = outcome;
    },
    /** Webhooks held back by the pending outcome. */
    held: () => [...held],
    /** A new event (new id, fresh signature) settling a held object the given way, as a provider would send later. */
    resolveHeld(index: number, outcome: 'succeed' | 'fail'): SignedDelivery {
      const event = JSON.parse(held[index]!.rawBody) as PaymentEvent;
      const kind = event.type.split('.')[0] as 'payment' | 'refund';
      const settling: PaymentEvent = {
        ...event,
        id: `evt_${randomUUID()}`,
        type: `${kind}.${outcome === 'fail' ? 'failed' : 'succeeded'}` as PaymentEvent['type'],
        data: outcome === 'fail' ? { ...event.data, reason: 'declined by the test provider' } : event.data,
      };
      settled.set(settling.data.objectId, settling);
      return signed(settling);
    },
    /** Webhooks of the `lost` outcome, as first signed (so by now perhaps too old to be accepted). */
    lost: () => [...lost],
    /** The same event signed afresh, as a provider signs every retry of a delivery. */
    resign(delivery: SignedDelivery): SignedDelivery {
      return signed(JSON.parse(delivery.rawBody) as PaymentEvent);
    },
    deliver: deps.deliver,
  };
}

export type TestPaymentProvider = ReturnType<typeof createTestPaymentProvider>;
