import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { formatMoney } from '../../core/money.js';
import type { Db, Tx } from '../../db/database.js';
import type { PaymentEvent, PaymentProvider } from '../../integrations/payments/provider.js';
import { verifyPayload } from '../../integrations/payments/signature.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Ledger, ledgerAccountId } from './ledger.js';
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
  ledger: Ledger;
  wallet: WalletService;
  audit: AuditService;
  notifications: NotificationService;
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

  /** Applies one settling event exactly once (by its id); the object's state makes late ones no-ops. */
  function apply(provider: string, event: PaymentEvent): Promise<WebhookOutcome> {
    return db.transaction().execute(async (tx) => {
      const recorded = await tx
        .insertInto('payment_events')
        .values({
          provider,
          event_id: event.id,
          type: event.type,
          object_id: event.data.objectId,
          outcome: 'applied',
          received_at: clock.now().toISOString(),
        })
        .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
        .executeTakeFirst();
      if (Number(recorded.numInsertedOrUpdatedRows ?? 0) === 0) return 'duplicate';
      const outcome = event.type.startsWith('payment.')
        ? await applyPayment(tx, event)
        : await applyRefund(tx, event);
      if (outcome === 'ignored') {
        await tx
          .updateTable('payment_events')
          .set({ outcome })
          .where('provider', '=', provider)
          .where('event_id', '=', event.id)
          .execute();
      }
      return outcome;
    });
  }

  async function applyPayment(tx: Tx, event: PaymentEvent): Promise<WebhookOutcome> {
    const payment = await tx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', event.data.objectId)
      .executeTakeFirst();
    if (!payment) throw new AppError('PAYMENT_NOT_FOUND', { objectId: event.data.objectId });
    if (Number(payment.amount) !== event.data.amount || payment.currency !== event.data.currency) {
      throw new AppError('AMOUNT_MISMATCH', { objectId: payment.id });
    }
    if (payment.status !== 'pending') return 'ignored';
    const now = clock.now().toISOString();
    const succeeded = event.type === 'payment.succeeded';
    await tx
      .updateTable('payments')
      .set({
        status: succeeded ? 'succeeded' : 'failed',
        failure: event.data.reason ?? null,
        provider_ref: event.data.providerRef,
        updated_at: now,
      })
      .where('id', '=', payment.id)
      .execute();
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
    const account = await tx
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', payment.account_id)
      .executeTakeFirstOrThrow();
    await notifications.notify(
      tx,
      account,
      'topup_succeeded',
      {
        amount: formatMoney(wallet.money(Number(payment.amount)), account.locale),
        balance: formatMoney(wallet.money(posting.credit_balance_after), account.locale),
      },
      ['email'],
    );
    return 'applied';
  }

  async function applyRefund(tx: Tx, event: PaymentEvent): Promise<WebhookOutcome> {
    const refund = await tx
      .selectFrom('refunds')
      .selectAll()
      .where('id', '=', event.data.objectId)
      .executeTakeFirst();
    if (!refund) throw new AppError('PAYMENT_NOT_FOUND', { objectId: event.data.objectId });
    if (Number(refund.amount) !== event.data.amount || refund.currency !== event.data.currency) {
      throw new AppError('AMOUNT_MISMATCH', { objectId: refund.id });
    }
    if (refund.status !== 'pending') return 'ignored';
    const now = clock.now().toISOString();
    const succeeded = event.type === 'refund.succeeded';
    await tx
      .updateTable('refunds')
      .set({
        status: succeeded ? 'succeeded' : 'failed',
        failure: event.data.reason ?? null,
        updated_at: now,
      })
      .where('id', '=', refund.id)
      .execute();
    const account = await tx
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', refund.account_id)
      .executeTakeFirstOrThrow();
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
      // A failed refund gives the money back to the wallet, visibly, and makes the payments refundable again.
      const posting = await ledger.post(tx, {
        debit: payable,
        credit: wallet.walletId(refund.account_id),
        amount,
        currency: refund.currency,
        kind: 'refund_reversal',
        reference: { type: 'refund', id: refund.id },
      });
      const allocations = await tx
        .selectFrom('refund_allocations')
        .selectAll()
        .where('refund_id', '=', refund.id)
        .execute();
      for (const a of allocations) {
        await tx
          .updateTable('payments')
          .set((eb) => ({ refunded: eb('refunded', '-', Number(a.amount)), updated_at: now }))
          .where('id', '=', a.payment_id)
          .execute();
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
      after: { status: succeeded ? 'succeeded' : 'failed' },
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
      const pending = await db
        .selectFrom(kind === 'payment' ? 'payments' : 'refunds')
        .select('id')
        .where('status', '=', 'pending')
        .where('created_at', '<', cutoff)
        .orderBy('created_at')
        .execute();
      for (const { id } of pending) {
        try {
          const found = await provider.lookup(kind, id);
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

  return { handle, reconcile };
}

export type PaymentWebhooks = ReturnType<typeof createPaymentWebhooks>;
