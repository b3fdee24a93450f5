import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { MoneyValue } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { Jobs } from '../../runner/jobs.js';
import type { AuditService } from '../audit/audit.service.js';
import { type Ledger, ledgerAccountId } from './ledger.js';
import * as paymentsStore from './stores/payments.store.js';
import { activeAccount, type WalletCore } from './wallet.core.js';
import type { WalletJobs } from './wallet.jobs.js';

/** Refunds to the payment methods the wallet was topped up with. */
export function createRefunds(deps: {
  db: Db;
  clock: Clock;
  core: WalletCore;
  ledger: Pick<Ledger, 'balance' | 'post'>;
  jobs: Pick<Jobs, 'enqueue'>;
  submitRefundJob: WalletJobs['submitRefund'];
  audit: Pick<AuditService, 'record'>;
}) {
  const { db, clock, ledger, audit, submitRefundJob } = deps;
  const { currency, money, walletId, checkCurrency } = deps.core;

  /** How much can go back to the original payment methods now, and the payments it would come from. */
  async function refundable(executor: Executor, accountId: string) {
    const wallet = await ledger.balance(executor, walletId(accountId));
    const payments = await paymentsStore.refundablePayments(executor, accountId);
    const unrefunded = payments.reduce((sum, p) => sum + Number(p.amount) - Number(p.refunded), 0);
    return { amount: Math.min(wallet, unrefunded), wallet, unrefunded, payments };
  }

  async function requestRefund(accountId: string, amount: MoneyValue, caller: Caller) {
    checkCurrency(amount);
    return db.transaction().execute(async (tx) => {
      await activeAccount(tx, accountId);
      const available = await refundable(tx, accountId);
      if (amount.amount > available.amount) {
        throw new AppError('REFUND_EXCEEDS_REFUNDABLE', {
          field: 'amount.amount',
          refundable: money(available.amount),
          balance: money(available.wallet),
          toppedUpNotRefunded: money(available.unrefunded),
        });
      }
      const now = clock.now().toISOString();
      const refundId = newId('rfd', clock.now().getTime());
      await paymentsStore.insertRefund(tx, {
        id: refundId,
        account_id: accountId,
        amount: amount.amount,
        currency,
        status: 'pending',
        created_at: now,
        updated_at: now,
      });
      // Newest payments first: refund what was paid most recently.
      let left = amount.amount;
      for (const payment of available.payments) {
        if (left === 0) break;
        const share = Math.min(left, Number(payment.amount) - Number(payment.refunded));
        if (share <= 0) continue;
        await paymentsStore.allocateRefund(tx, { refundId, paymentId: payment.id, amount: share }, now);
        left -= share;
      }
      // The money leaves the wallet now, so it cannot be spent while the provider works.
      await ledger.post(tx, {
        debit: walletId(accountId),
        credit: ledgerAccountId('refunds_payable', currency),
        amount: amount.amount,
        currency,
        kind: 'refund',
        reference: { type: 'refund', id: refundId },
      });
      await deps.jobs.enqueue(tx, submitRefundJob, { refundId }, { idempotencyKey: `refund:${refundId}` });
      await audit.record(tx, {
        actor: caller.actor,
        action: 'refund.requested',
        subject: { type: 'refund', id: refundId },
        accountId,
        after: { amount: amount.amount, currency },
        requestId: caller.requestId,
      });
      const body = { id: refundId, status: 'pending', amount: money(amount.amount), createdAt: now };
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  /** Payments or refunds not settled yet (they block cancellation). */
  async function moneyInFlight(executor: Executor, accountId: string) {
    return paymentsStore.pendingOf(executor, accountId);
  }

  return { refundable, requestRefund, moneyInFlight };
}

export type Refunds = ReturnType<typeof createRefunds>;
