import { Type } from 'typebox';
import type { Db } from '../../db/database.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import { defineJob, type RecurringJob } from '../../runner/jobs.js';
import * as paymentsStore from './stores/payments.store.js';

/** The wallet's jobs: a requested refund goes to the payment provider outside the request. */
export function createWalletJobs(deps: { db: Db; payments: () => PaymentProvider }) {
  const { db } = deps;

  const submitRefund = defineJob({
    kind: 'wallet.refund.submit',
    payload: Type.Object({ refundId: Type.String() }),
    maxAttempts: 20,
    handle: async ({ refundId }) => submit(refundId),
  });

  // Safe to run again: a refund no longer pending is left alone, and the provider knows a refund by its id.
  async function submit(refundId: string): Promise<void> {
    const refund = await paymentsStore.refundById(db, refundId);
    if (!refund) throw new Error(`refund ${refundId} does not exist`);
    if (refund.status !== 'pending') return;
    const allocations = await paymentsStore.refundAllocations(db, refundId);
    const { providerRef } = await deps.payments().refund({
      refundId,
      amount: Number(refund.amount),
      currency: refund.currency,
      payments: allocations.map((a) => ({
        paymentId: a.payment_id,
        providerRef: a.provider_ref ?? '',
        amount: Number(a.amount),
      })),
    });
    await paymentsStore.setRefundProviderRef(db, refundId, providerRef);
  }

  return { submitRefund };
}

export type WalletJobs = ReturnType<typeof createWalletJobs>;

/**
 * Every minute: payments and refunds whose webhook is overdue (policy paymentReconcileMinutes) are
 * settled from the provider's record (see PaymentWebhooks.reconcile).
 */
export function reconcilePaymentsJob(reconcile: () => Promise<unknown>): RecurringJob {
  return {
    kind: 'payments.reconcile',
    everyMs: 60 * 1000,
    handle: async () => {
      await reconcile();
    },
  };
}
