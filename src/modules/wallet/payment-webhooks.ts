import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { formatMoney } from '../../core/money.js';
import type { Db, Tx } from '../../db/database.js';
import type { PaymentEvent, PaymentProvider, WebhookRequest } from '../../integrations/payments/provider.js';
import { verifyPayload } from '../../integrations/payments/signature.js';
import type { OurObject } from '../../integrations/payments/stripe-provider.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Ledger, ledgerAccountId } from './ledger.js';
import * as paymentsStore from './stores/payments.store.js';
import { accountToNotify } from './stores/transfers.store.js';
import type { WalletService } from './wallet.service.js';

export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored';

const SYSTEM = { type: 'system' as const, id: 'payments' };
const MINUTE_MS = 60 * 1000;

/**
 * Applies signed payment-provider webhooks exactly once: the event id is recorded in the same
 * transaction as its effect, so a redelivery is a no-op; events for objects already in a final state
 * (late, out of order) are recorded as ignored.
 */
export function createPaymentWebhooks(deps: {
  db: Db;
  clock: Clock;
  secret: string;
  ledger: Pick<Ledger, 'post'>;
  wallet: Pick<WalletService, 'ensureWallet' | 'settleArrears' | 'walletId' | 'money'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  policies: Pick<PolicyService, 'get'>;
  logger: Logger;
}) {
  const { db, clock, ledger, wallet, audit, notifications } = deps;
  const logger = deps.logger.child({ component: 'payments' });

  function parse(rawBody: string): PaymentEvent {
    let event: PaymentEvent;
    try {
      event = JSON.parse(rawBody);
    } catch {
      throw new AppError('MALFORMED_JSON', { in: 'body' });
    }
    const types = ['payment.succeeded', 'payment.failed', 'refund.succeeded', 'refund.failed'];
    const d = event?.data;
    if (
      typeof event?.id !== 'string' ||
      !types.includes(event.type) ||
      typeof d?.objectId !== 'string' ||
      !Number.isSafeInteger(d.amount) ||
      typeof d.currency !== 'string'
    ) {
      throw new AppError(
        'VALIDATION_FAILED',
        { field: 'body', in: 'body' },
        { reason: 'not a payment event' },
      );
    }
    return event;
  }

  async function handle(
    provider: string,
    rawBody: string,
    signature: string | undefined,
  ): Promise<WebhookOutcome> {
    const check = verifyPayload(deps.secret, rawBody, signature, clock.now());
    if (check === 'invalid') throw new AppError('INVALID_SIGNATURE', { header: 'X-Payment-Signature' });
    if (check === 'expired') throw new AppError('WEBHOOK_EXPIRED', { header: 'X-Payment-Signature' });
    return apply(provider, parse(rawBody));
  }

  /**
   * A real provider's own webhook: the adapter checks it (signature, age) and maps it onto our
   * events, each applied exactly once. Several events answer the most telling outcome.
   */
  async function handleProvider(
    provider: PaymentProvider,
    request: WebhookRequest,
  ): Promise<{ outcome: WebhookOutcome; reply?: string }> {
    if (!provider.webhook) throw new AppError('NOT_FOUND');
    let mapped: Awaited<ReturnType<NonNullable<PaymentProvider['webhook']>>>;
    try {
      mapped = await provider.webhook(request);
    } catch (error) {
      if (error instanceof AppError)
        logger.warn({ provider: provider.name, code: error.code }, 'webhook refused');
      throw error;
    }
    const outcomes: WebhookOutcome[] = [];
    for (const event of mapped.events) outcomes.push(await apply(provider.name, event));
    const outcome = outcomes.includes('applied')
      ? 'applied'
      : outcomes.length > 0 && outcomes.every((o) => o === 'duplicate')
        ? 'duplicate'
        : 'ignored';
    return { outcome, reply: mapped.reply };
  }

  /**
   * Applies one settling event exactly once (by its id); the object's state makes late ones no-ops.
   * An amount or currency that differs from ours is refused, logged as an error and put on the
   * account's audit trail for staff (outside the refused transaction, so it stays).
   */
  async function apply(provider: string, event: PaymentEvent): Promise<WebhookOutcome> {
    try {
      return await applyOnce(provider, event);
    } catch (error) {
      if (error instanceof AppError && error.code === 'AMOUNT_MISMATCH') await raiseMismatch(provider, event);
      throw error;
    }
  }

  async function raiseMismatch(provider: string, event: PaymentEvent): Promise<void> {
    const kind = event.type.startsWith('payment.') ? 'payment' : 'refund';
    const row = await paymentsStore.settlementObject(db, kind, event.data.objectId);
    logger.error(
      { provider, eventId: event.id, objectId: event.data.objectId, event: event.data, ours: row },
      'payment event amount or currency differs from ours: refused, needs staff',
    );
    if (!row) return;
    await audit.record(db, {
      actor: SYSTEM,
      action: `${kind}.amount_mismatch`,
      subject: { type: kind, id: row.id },
      accountId: row.account_id,
      before: { amount: Number(row.amount), currency: row.currency },
      after: { amount: event.data.amount, currency: event.data.currency, eventId: event.id, provider },
    });
  }

  function applyOnce(provider: string, event: PaymentEvent): Promise<WebhookOutcome> {
    return db.transaction().execute(async (tx) => {
      const first = await paymentsStore.recordEvent(
        tx,
        { provider, eventId: event.id, type: event.type, objectId: event.data.objectId },
        clock.now().toISOString(),
      );
      if (!first) return 'duplicate';
      const outcome = event.type.startsWith('payment.')
        ? await applyPayment(tx, event)
        : await applyRefund(tx, event);
      if (outcome === 'ignored') await paymentsStore.markEventIgnored(tx, provider, event.id);
      return outcome;
    });
  }

  async function applyPayment(tx: Tx, event: PaymentEvent): Promise<WebhookOutcome> {
    const payment = await paymentsStore.paymentById(tx, event.data.objectId);
    if (!payment) throw new AppError('PAYMENT_NOT_FOUND', { objectId: event.data.objectId });
    if (Number(payment.amount) !== event.data.amount || payment.currency !== event.data.currency) {
      throw new AppError('AMOUNT_MISMATCH', { objectId: payment.id });
    }
    if (payment.status !== 'pending') return 'ignored';
    const now = clock.now().toISOString();
    const succeeded = event.type === 'payment.succeeded';
    await paymentsStore.settlePayment(
      tx,
      payment.id,
      {
        status: succeeded ? 'succeeded' : 'failed',
        failure: event.data.reason ?? null,
        providerRef: event.data.providerRef,
      },
      now,
    );
    await audit.record(tx, {
      actor: SYSTEM,
      action: succeeded ? 'payment.succeeded' : 'payment.failed',
      subject: { type: 'payment', id: payment.id },
      accountId: payment.account_id,
      before: { status: 'pending' },
      after: { status: succeeded ? 'succeeded' : 'failed' },
    });
    if (!succeeded) return 'applied';
    const walletId = await wallet.ensureWallet(tx, payment.account_id);
    const posting = await ledger.post(tx, {
      debit: ledgerAccountId('clearing', payment.currency),
      credit: walletId,
      amount: Number(payment.amount),
      currency: payment.currency,
      kind: 'topup',
      reference: { type: 'payment', id: payment.id },
    });
    // A top-up pays what usage charged beyond the wallet (arrears) first.
    const arrearsPaid = await wallet.settleArrears(tx, payment.account_id, {
      type: 'payment',
      id: payment.id,
    });
    const account = await accountToNotify(tx, payment.account_id);
    await notifications.notify(
      tx,
      account,
      'topup_succeeded',
      {
        amount: formatMoney(wallet.money(Number(payment.amount)), account.locale),
        balance: formatMoney(wallet.money(posting.credit_balance_after - arrearsPaid), account.locale),
      },
      ['email'],
    );
    return 'applied';
  }

  async function applyRefund(tx: Tx, event: PaymentEvent): Promise<WebhookOutcome> {
    const refund = await paymentsStore.refundById(tx, event.data.objectId);
    if (!refund) throw new AppError('PAYMENT_NOT_FOUND', { objectId: event.data.objectId });
    if (Number(refund.amount) !== event.data.amount || refund.currency !== event.data.currency) {
      throw new AppError('AMOUNT_MISMATCH', { objectId: refund.id });
    }
    if (refund.status !== 'pending') return 'ignored';
    const now = clock.now().toISOString();
    const succeeded = event.type === 'refund.succeeded';
    await paymentsStore.settleRefund(
      tx,
      refund.id,
      { status: succeeded ? 'succeeded' : 'failed', failure: event.data.reason ?? null },
      now,
    );
    const account = await accountToNotify(tx, refund.account_id);
    const payable = ledgerAccountId('refunds_payable', refund.currency);
    const amount = Number(refund.amount);
    if (succeeded) {
      await ledger.post(tx, {
        debit: payable,
        credit: ledgerAccountId('clearing', refund.currency),
        amount,
        currency: refund.currency,
        kind: 'refund_settled',
        reference: { type: 'refund', id: refund.id },
      });
      await notifications.notify(tx, account, 'refund_succeeded', {
        amount: formatMoney(wallet.money(amount), account.locale),
      });
    } else {
      // A refund split across payments may fail in part: what did go out is settled, the rest comes back.
      const partial = event.data.partial;
      const refunded = partial ? Math.min(Math.max(0, partial.refunded), amount) : 0;
      if (refunded > 0) {
        await ledger.post(tx, {
          debit: payable,
          credit: ledgerAccountId('clearing', refund.currency),
          amount: refunded,
          currency: refund.currency,
          kind: 'refund_settled',
          reference: { type: 'refund', id: refund.id },
        });
      }
      // A failed refund gives the money back to the wallet, visibly, and makes the payments refundable again.
      const posting = await ledger.post(tx, {
        debit: payable,
        credit: wallet.walletId(refund.account_id),
        amount: amount - refunded,
        currency: refund.currency,
        kind: 'refund_reversal',
        reference: { type: 'refund', id: refund.id },
      });
      const allocations = await paymentsStore.refundAllocations(tx, refund.id);
      for (const a of allocations) {
        const failed = (ref: string | null) => ref !== null && partial?.failedPayments.includes(ref);
        if (partial && !failed(a.provider_ref) && !failed(a.payment_id)) continue;
        await paymentsStore.returnRefunded(tx, a.payment_id, Number(a.amount), now);
      }
      await notifications.notify(tx, account, 'refund_failed', {
        amount: formatMoney(wallet.money(amount), account.locale),
        balance: formatMoney(wallet.money(posting.credit_balance_after), account.locale),
      });
    }
    await audit.record(tx, {
      actor: SYSTEM,
      action: succeeded ? 'refund.succeeded' : 'refund.failed',
      subject: { type: 'refund', id: refund.id },
      accountId: refund.account_id,
      before: { status: 'pending' },
      after: {
        status: succeeded ? 'succeeded' : 'failed',
        ...(event.data.partial ? { partial: event.data.partial } : {}),
      },
    });
    return 'applied';
  }

  /**
   * Payments and refunds still pending longer than the policy's window (paymentReconcileMinutes)
   * have lost their webhook (never sent, or refused as older than the replay window): the provider
   * is asked, and what it says is applied exactly as the webhook would have been. A webhook arriving
   * after that finds the object settled and changes nothing. One the provider still has pending, or
   * does not know, stays pending and is asked again next time (and logged).
   */
  async function reconcile(provider: PaymentProvider, olderThanMs?: number): Promise<number> {
    const window = olderThanMs ?? (await deps.policies.get()).paymentReconcileMinutes * MINUTE_MS;
    const cutoff = new Date(clock.now().getTime() - window).toISOString();
    let settled = 0;
    for (const kind of ['payment', 'refund'] as const) {
      const pending = await paymentsStore.pendingBefore(db, kind, cutoff);
      for (const { id, provider_ref, created_at } of pending) {
        try {
          const found = await provider.lookup(kind, { id, providerRef: provider_ref, createdAt: created_at });
          if (found.status === 'settled') {
            if ((await apply(provider.name, found.event)) === 'applied') settled++;
          } else {
            logger.info({ kind, id, provider: provider.name, status: found.status }, 'overdue, not settled');
          }
        } catch (error) {
          // One object the provider cannot answer for does not hold up the others.
          logger.warn({ kind, id, provider: provider.name, err: error }, 'could not reconcile');
        }
      }
    }
    return settled;
  }

  /** One of our payments or refunds as a provider adapter checks it against the provider's record. */
  async function objectOf(kind: 'payment' | 'refund', id: string): Promise<OurObject | null> {
    const row = await paymentsStore.settlementObject(db, kind, id);
    return row
      ? {
          id: row.id,
          providerRef: row.provider_ref,
          createdAt: row.created_at,
          amount: Number(row.amount),
          currency: row.currency,
        }
      : null;
  }

  return { handle, handleProvider, apply, reconcile, objectOf };
}

export type PaymentWebhooks = ReturnType<typeof createPaymentWebhooks>;
