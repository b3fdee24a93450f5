import type { Insertable } from 'kysely';
import type { Executor } from '../../../db/database.js';
import type { PaymentStatus, PaymentsTable, RefundsTable } from '../../../db/schema.js';

// Payments (top-ups), refunds with their allocations to payments, and the provider events applied.

export type SettlementKind = 'payment' | 'refund';
const tableOf = (kind: SettlementKind) => (kind === 'payment' ? 'payments' : 'refunds');

export async function paymentById(executor: Executor, paymentId: string) {
  return executor.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
}

/** The subscriber's own payment, or undefined (anyone else's too). */
export async function paymentOf(executor: Executor, accountId: string, paymentId: string) {
  return executor
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', paymentId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

/** The payment a top-up request (by its request key) created, if it did. */
export async function paymentByRequestKey(executor: Executor, requestKey: string) {
  return executor.selectFrom('payments').selectAll().where('request_key', '=', requestKey).executeTakeFirst();
}

/** What the subscriber has topped up since `since`, failed payments aside. */
export async function toppedUpSince(executor: Executor, accountId: string, since: string): Promise<number> {
  const today = await executor
    .selectFrom('payments')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('total'))
    .where('account_id', '=', accountId)
    .where('status', '!=', 'failed')
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(today.total);
}

export async function insertPayment(tx: Executor, row: Insertable<PaymentsTable>): Promise<void> {
  await tx.insertInto('payments').values(row).execute();
}

/** Records the provider's reference of a payment, unless one is recorded already. */
export async function setPaymentProviderRef(executor: Executor, paymentId: string, providerRef: string) {
  await executor
    .updateTable('payments')
    .set({ provider_ref: providerRef })
    .where('id', '=', paymentId)
    .where('provider_ref', 'is', null)
    .execute();
}

/** The subscriber's succeeded payments, newest first, with what was refunded of each. */
export async function refundablePayments(executor: Executor, accountId: string) {
  return executor
    .selectFrom('payments')
    .select(['id', 'provider_ref', 'amount', 'refunded'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'succeeded')
    .orderBy('id', 'desc')
    .execute();
}

/** The subscriber's payments and refunds still pending. */
export async function pendingOf(executor: Executor, accountId: string) {
  const payments = await executor
    .selectFrom('payments')
    .select(['id', 'amount'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .execute();
  const refunds = await executor
    .selectFrom('refunds')
    .select(['id', 'amount'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .execute();
  return { payments, refunds };
}

/** Records how a payment ended, with the provider's reference and reason. */
export async function settlePayment(
  tx: Executor,
  paymentId: string,
  outcome: { status: PaymentStatus; failure: string | null; providerRef: string },
  now: string,
): Promise<void> {
  await tx
    .updateTable('payments')
    .set({
      status: outcome.status,
      failure: outcome.failure,
      provider_ref: outcome.providerRef,
      updated_at: now,
    })
    .where('id', '=', paymentId)
    .execute();
}

export async function refundById(executor: Executor, refundId: string) {
  return executor.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirst();
}

export async function insertRefund(tx: Executor, row: Insertable<RefundsTable>): Promise<void> {
  await tx.insertInto('refunds').values(row).execute();
}

/** Takes `amount` of a refund from a payment, which counts it as refunded. */
export async function allocateRefund(
  tx: Executor,
  allocation: { refundId: string; paymentId: string; amount: number },
  now: string,
): Promise<void> {
  await tx
    .insertInto('refund_allocations')
    .values({ refund_id: allocation.refundId, payment_id: allocation.paymentId, amount: allocation.amount })
    .execute();
  await tx
    .updateTable('payments')
    .set((eb) => ({ refunded: eb('refunded', '+', allocation.amount), updated_at: now }))
    .where('id', '=', allocation.paymentId)
    .execute();
}

/** The payments a refund goes back to, with how much to each and the provider's reference. */
export async function refundAllocations(executor: Executor, refundId: string) {
  return executor
    .selectFrom('refund_allocations')
    .innerJoin('payments', 'payments.id', 'refund_allocations.payment_id')
    .select(['refund_allocations.payment_id', 'refund_allocations.amount', 'payments.provider_ref'])
    .where('refund_allocations.refund_id', '=', refundId)
    .execute();
}

/** A payment's refund that did not go out: that much of it is refundable again. */
export async function returnRefunded(tx: Executor, paymentId: string, amount: number, now: string) {
  await tx
    .updateTable('payments')
    .set((eb) => ({ refunded: eb('refunded', '-', amount), updated_at: now }))
    .where('id', '=', paymentId)
    .execute();
}

/** Records the provider's reference of a refund, unless one is recorded already. */
export async function setRefundProviderRef(executor: Executor, refundId: string, providerRef: string) {
  await executor
    .updateTable('refunds')
    .set({ provider_ref: providerRef })
    .where('id', '=', refundId)
    .where('provider_ref', 'is', null)
    .execute();
}

/** Records how a refund ended. */
export async function settleRefund(
  tx: Executor,
  refundId: string,
  outcome: { status: PaymentStatus; failure: string | null },
  now: string,
): Promise<void> {
  await tx
    .updateTable('refunds')
    .set({ status: outcome.status, failure: outcome.failure, updated_at: now })
    .where('id', '=', refundId)
    .execute();
}

/** A payment or refund as the provider and staff see it, or undefined. */
export async function settlementObject(executor: Executor, kind: SettlementKind, id: string) {
  return executor
    .selectFrom(tableOf(kind))
    .select(['id', 'account_id', 'provider_ref', 'created_at', 'amount', 'currency'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Payments or refunds pending since before `cutoff`, oldest first. */
export async function pendingBefore(executor: Executor, kind: SettlementKind, cutoff: string) {
  return executor
    .selectFrom(tableOf(kind))
    .select(['id', 'provider_ref', 'created_at'])
    .where('status', '=', 'pending')
    .where('created_at', '<', cutoff)
    .orderBy('created_at')
    .execute();
}

/**
 * Records a provider event as applied; false when it was recorded before (a redelivery), so it is
 * applied once.
 */
export async function recordEvent(
  tx: Executor,
  event: { provider: string; eventId: string; type: string; objectId: string },
  now: string,
): Promise<boolean> {
  const recorded = await tx
    .insertInto('payment_events')
    .values({
      provider: event.provider,
      event_id: event.eventId,
      type: event.type,
      object_id: event.objectId,
      outcome: 'applied',
      received_at: now,
    })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(recorded.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function markEventIgnored(tx: Executor, provider: string, eventId: string): Promise<void> {
  await tx
    .updateTable('payment_events')
    .set({ outcome: 'ignored' })
    .where('provider', '=', provider)
    .where('event_id', '=', eventId)
    .execute();
}
