import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { MoneyValue } from '../../core/money.js';
import type { Db } from '../../db/database.js';
import type { PaymentStatus } from '../../db/schema.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { AuditService } from '../audit/audit.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import * as paymentsStore from './stores/payments.store.js';
import { activeAccount, type WalletCore } from './wallet.core.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Top-ups through the payment provider, and the payments they made. */
export function createTopups(deps: {
  db: Db;
  clock: Clock;
  core: WalletCore;
  /** Where the provider's hosted page sends the subscriber back to. */
  publicUrl: string;
  audit: Pick<AuditService, 'record'>;
  payments: () => PaymentProvider;
  policies: Pick<PolicyService, 'get'>;
  logger?: Logger;
}) {
  const { db, clock, audit } = deps;
  const { currency, money, checkCurrency, ensureWallet } = deps.core;
  const logger = deps.logger?.child({ component: 'payments' });

  function presentPayment(p: { id: string; status: PaymentStatus; amount: number; created_at: string }) {
    return {
      id: p.id,
      status: p.status,
      amount: money(Number(p.amount)),
      testMode: deps.payments().testMode,
      createdAt: p.created_at,
    };
  }

  /**
   * Tops up through the payment provider. Re-entrant under one request key: a retry after a crash finds
   * the same payment instead of charging twice. The provider settles by webhook (the test provider at once).
   */
  async function topup(
    accountId: string,
    amount: MoneyValue,
    requestKey: string,
    caller: Caller,
    client: 'phone' | 'desktop' = 'desktop',
  ) {
    checkCurrency(amount);
    const limits = await deps.policies.get();
    if (amount.amount > limits.topupMaxMinor) {
      throw new AppError('TOPUP_LIMIT_EXCEEDED', {
        field: 'amount.amount',
        limit: 'per_topup',
        max: money(limits.topupMaxMinor),
      });
    }
    const provider = deps.payments();
    const payment = await db.transaction().execute(async (tx) => {
      await activeAccount(tx, accountId);
      const existing = await paymentsStore.paymentByRequestKey(tx, requestKey);
      if (existing) return existing;
      const since = new Date(clock.now().getTime() - DAY_MS).toISOString();
      const today = await paymentsStore.toppedUpSince(tx, accountId, since);
      if (today + amount.amount > limits.topupDailyMaxMinor) {
        throw new AppError('TOPUP_LIMIT_EXCEEDED', {
          field: 'amount.amount',
          limit: 'per_day',
          max: money(limits.topupDailyMaxMinor),
          used: money(today),
        });
      }
      await ensureWallet(tx, accountId);
      const now = clock.now().toISOString();
      const row = {
        id: newId('pay', clock.now().getTime()),
        account_id: accountId,
        provider: provider.name,
        provider_ref: null,
        amount: amount.amount,
        currency,
        refunded: 0,
        status: 'pending' as const,
        request_key: requestKey,
        failure: null,
        created_at: now,
        updated_at: now,
      };
      await paymentsStore.insertPayment(tx, row);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'payment.created',
        subject: { type: 'payment', id: row.id },
        accountId,
        after: { amount: row.amount, currency, provider: provider.name },
        requestId: caller.requestId,
      });
      return row;
    });
    // Asked again on a retry while pending: the provider answers the same payment and hosted page.
    let redirectUrl: string | null = null;
    if (payment.status === 'pending') {
      const created = await withProvider(provider.name, () =>
        provider.createPayment({
          paymentId: payment.id,
          amount: Number(payment.amount),
          currency,
          returnUrl: `${deps.publicUrl}/wallet?topup=${payment.id}`,
          client,
          createdAt: payment.created_at,
        }),
      );
      redirectUrl = created.redirectUrl;
      await paymentsStore.setPaymentProviderRef(db, payment.id, created.providerRef);
    }
    const settled = await paymentsStore.paymentById(db, payment.id);
    if (!settled) throw new Error(`payment ${payment.id} is gone`);
    const body = {
      ...presentPayment(settled),
      ...(redirectUrl && settled.status === 'pending' ? { redirectUrl } : {}),
    };
    await caller.idempotency?.(db, body);
    return body;
  }

  /** A provider that cannot be reached or refuses: 503 PAYMENT_PROVIDER_UNAVAILABLE, nothing applied. */
  async function withProvider<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      logger?.warn({ provider: name, err: error }, 'payment provider call failed');
      throw new AppError('PAYMENT_PROVIDER_UNAVAILABLE', { provider: name });
    }
  }

  async function payment(accountId: string, paymentId: string) {
    const row = await paymentsStore.paymentOf(db, accountId, paymentId);
    return row ? presentPayment(row) : null;
  }

  return { topup, payment };
}
