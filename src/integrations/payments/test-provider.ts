import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/database.js';
import type { PaymentEvent, PaymentLookup, PaymentProvider } from './provider.js';
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
 *
 * What it created and how each settled is its own record, kept in the database (test_payment_records)
 * as a real provider keeps it on its side: a lookup after a restart still finds it. It never re-sends
 * a webhook; the reconciler asks (lookup) when one is overdue.
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

  /** Records a new object; false when it was created before (creation is idempotent per object id). */
  async function record(kind: 'payment' | 'refund', objectId: string, providerRef: string) {
    const now = deps.clock.now().toISOString();
    const inserted = await db
      .insertInto('test_payment_records')
      .values({
        object_id: objectId,
        kind,
        provider_ref: providerRef,
        status: 'pending',
        event: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('object_id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async function markSettled(event: PaymentEvent): Promise<void> {
    await db
      .updateTable('test_payment_records')
      .set({ status: 'settled', event: JSON.stringify(event), updated_at: deps.clock.now().toISOString() })
      .where('object_id', '=', event.data.objectId)
      .execute();
  }

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
    await markSettled(event);
    if (outcome === 'lost') lost.push(delivery);
    else await deps.deliver(delivery);
  }

  const provider: PaymentProvider = {
    name: 'test',
    testMode: true,
    async createPayment({ paymentId, amount, currency }) {
      const providerRef = `tp_pay_${paymentId.slice(4)}`;
      if (await record('payment', paymentId, providerRef))
        await settle('payment', { objectId: paymentId, providerRef, amount, currency });
      return { providerRef, redirectUrl: null };
    },
    async refund({ refundId, amount, currency }) {
      const providerRef = `tp_rfd_${refundId.slice(4)}`;
      if (await record('refund', refundId, providerRef))
        await settle('refund', { objectId: refundId, providerRef, amount, currency });
      return { providerRef };
    },
    async lookup(kind, { id: objectId }): Promise<PaymentLookup> {
      const row = await db
        .selectFrom('test_payment_records')
        .select(['status', 'event'])
        .where('object_id', '=', objectId)
        .where('kind', '=', kind)
        .executeTakeFirst();
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
