import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/database.js';
import type { PaymentEvent, PaymentLookup, PaymentProvider } from './provider.js';
import { signPayload } from './signature.js';
import * as store from './test-provider.store.js';

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
 *
 * What it created and how each settled is its own record, kept in the database (test_payment_records)
 * as a real provider keeps it on its side: a lookup after a restart still finds it. It re-sends a
 * webhook only when the same object is created again; otherwise the reconciler asks (lookup) when
 * one is overdue.
 */
export function createTestPaymentProvider(deps: {
  db: Db;
  secret: string;
  clock: Clock;
  deliver: (delivery: SignedDelivery) => Promise<void>;
}) {
  const { db } = deps;
  const held: SignedDelivery[] = [];
  /** Webhooks that were sent into the void (outcome `lost`), kept so tests can deliver them late. */
  const lost: SignedDelivery[] = [];
  const outcomes = { payment: 'succeed' as TestOutcome, refund: 'succeed' as TestOutcome };

  /**
   * Records a new object with its outcome decided at once, as a real provider charges the card or
   * refunds whatever happens to us afterwards: a settled record holds its event from the start, so a
   * crash of our process between creating it and receiving the webhook loses nothing (a lookup, or
   * the same create sent again, finds the outcome). Returns the event to deliver, or null for a held
   * outcome; `created` is false when the object existed already (creation is idempotent per id).
   */
  async function record(
    kind: 'payment' | 'refund',
    data: PaymentEvent['data'],
  ): Promise<{ created: boolean; event: PaymentEvent | null }> {
    const now = deps.clock.now().toISOString();
    const outcome = outcomes[kind];
    const event: PaymentEvent | null =
      outcome === 'pending'
        ? null
        : {
            id: `evt_${randomUUID()}`,
            type: `${kind}.${outcome === 'fail' ? 'failed' : 'succeeded'}` as PaymentEvent['type'],
            data: outcome === 'fail' ? { ...data, reason: 'declined by the test provider' } : data,
          };
    const created = await store.insertRecord(db, {
      object_id: data.objectId,
      kind,
      provider_ref: data.providerRef,
      status: event ? 'settled' : 'pending',
      event: event ? JSON.stringify(event) : null,
      created_at: now,
      updated_at: now,
    });
    if (created) return { created: true, event };
    const existing = await store.recordOf(db, data.objectId);
    return { created: false, event: existing?.event ? (JSON.parse(existing.event) as PaymentEvent) : null };
  }

  async function markSettled(event: PaymentEvent): Promise<void> {
    await store.markSettled(db, event.data.objectId, JSON.stringify(event), deps.clock.now().toISOString());
  }

  function signed(event: PaymentEvent): SignedDelivery {
    const rawBody = JSON.stringify(event);
    return {
      rawBody,
      signature: signPayload(deps.secret, rawBody, Math.floor(deps.clock.now().getTime() / 1000)),
    };
  }

  /**
   * Creates the object and sends its webhook. The same create sent again (our retry after a crash)
   * sends the settled outcome's webhook again, as a provider re-sends an undelivered one: the handler
   * applies each event once.
   */
  async function createAndSettle(kind: 'payment' | 'refund', data: PaymentEvent['data']): Promise<void> {
    const { created, event } = await record(kind, data);
    if (created && event === null) {
      // Held: the webhook waits until a test releases it (resolveHeld).
      held.push(
        signed({ id: `evt_${randomUUID()}`, type: `${kind}.succeeded` as PaymentEvent['type'], data }),
      );
      return;
    }
    if (event === null) return;
    const delivery = signed(event);
    if (created && outcomes[kind] === 'lost') {
      lost.push(delivery);
      return;
    }
    await deps.deliver(delivery);
  }

  const provider: PaymentProvider = {
    name: 'test',
    testMode: true,
    async createPayment({ paymentId, amount, currency }) {
      const providerRef = `tp_pay_${paymentId.slice(4)}`;
      await createAndSettle('payment', { objectId: paymentId, providerRef, amount, currency });
      return { providerRef, redirectUrl: null };
    },
    async refund({ refundId, amount, currency }) {
      const providerRef = `tp_rfd_${refundId.slice(4)}`;
      await createAndSettle('refund', { objectId: refundId, providerRef, amount, currency });
      return { providerRef };
    },
    async lookup(kind, { id: objectId }): Promise<PaymentLookup> {
      const row = await store.recordOf(db, objectId, kind);
      if (!row) return { status: 'unknown' };
      if (row.status === 'pending' || row.event === null) return { status: 'pending' };
      return { status: 'settled', event: JSON.parse(row.event) as PaymentEvent };
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
    async resolveHeld(index: number, outcome: 'succeed' | 'fail'): Promise<SignedDelivery> {
      const event = JSON.parse(held[index]!.rawBody) as PaymentEvent;
      const kind = event.type.split('.')[0] as 'payment' | 'refund';
      const settling: PaymentEvent = {
        ...event,
        id: `evt_${randomUUID()}`,
        type: `${kind}.${outcome === 'fail' ? 'failed' : 'succeeded'}` as PaymentEvent['type'],
        data: outcome === 'fail' ? { ...event.data, reason: 'declined by the test provider' } : event.data,
      };
      await markSettled(settling);
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
