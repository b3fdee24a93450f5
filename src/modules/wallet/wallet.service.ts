import { Type } from 'typebox';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { formatMoney, type MoneyValue } from '../../core/money.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Executor } from '../../db/database.js';
import type { PaymentStatus } from '../../db/schema.js';
import type { Complete } from '../../http/idempotency.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import { defineJob, type Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import { maskTarget, normalizeTarget } from '../identity/normalize.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Ledger, ledgerAccountId, type PostingKind } from './ledger.js';
import * as ledgerStore from './stores/ledger.store.js';
import * as paymentsStore from './stores/payments.store.js';
import * as transfersStore from './stores/transfers.store.js';
import type { Party } from './stores/transfers.store.js';

export const STATEMENT_KINDS = [
  'topup',
  'purchase',
  'usage',
  'transfer_in',
  'transfer_out',
  'refund',
  'adjustment',
  'forfeit',
  'write_off',
  'arrears_payment',
] as const;
export type StatementKind = (typeof STATEMENT_KINDS)[number];

export interface StatementFilter {
  kind?: StatementKind;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** The postings a statement kind stands for, and on which side of the wallet. */
function postingsOfKind(kind: StatementKind | undefined): {
  kinds?: readonly PostingKind[];
  side?: 'debit' | 'credit';
} {
  switch (kind) {
    case undefined:
      return {};
    case 'transfer_in':
      return { kinds: ['transfer'], side: 'credit' };
    case 'transfer_out':
      return { kinds: ['transfer'], side: 'debit' };
    case 'refund':
      return { kinds: ['refund', 'refund_reversal', 'purchase_reversal'] };
    default:
      return { kinds: [kind] };
  }
}

export function createWalletService(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  ledger: Ledger;
  jobs: Jobs;
  audit: AuditService;
  notifications: NotificationService;
  payments: () => PaymentProvider;
  policies: PolicyService;
  logger?: Logger;
}) {
  const { db, clock, config, ledger, audit, notifications } = deps;
  const logger = deps.logger?.child({ component: 'payments' });
  const currency = config.currency;
  const money = (amount: number): MoneyValue => ({ amount, currency });

  const submitRefundJob = defineJob({
    kind: 'wallet.refund.submit',
    payload: Type.Object({ refundId: Type.String() }),
    maxAttempts: 20,
    handle: async ({ refundId }) => submitRefund(refundId),
  });
  deps.jobs.register(submitRefundJob);

  const walletId = (accountId: string) => ledgerAccountId('wallet', currency, accountId);

  async function ensureWallet(tx: Executor, accountId: string): Promise<string> {
    await ledger.ensureAccount(tx, 'clearing', currency);
    await ledger.ensureAccount(tx, 'refunds_payable', currency);
    return ledger.ensureAccount(tx, 'wallet', currency, accountId);
  }

  function checkCurrency(value: MoneyValue): void {
    if (value.currency !== currency)
      throw new AppError('CURRENCY_MISMATCH', { field: 'amount.currency', expected: currency }, { currency });
  }

  async function activeAccount(tx: Executor, accountId: string): Promise<Party> {
    return activeParty(await transfersStore.party(tx, accountId), accountId);
  }

  async function balance(accountId: string): Promise<MoneyValue> {
    return money(await ledger.balance(db, walletId(accountId)));
  }

  /** Postings of the wallet, newest first, each with the signed amount and the balance after it. */
  async function statement(accountId: string, filter: StatementFilter) {
    const wallet = walletId(accountId);
    const rows = await ledgerStore.postingsOf(db, wallet, {
      limit: filter.limit,
      before: decodeCursor(filter.cursor),
      from: filter.from,
      to: filter.to,
      ...postingsOfKind(filter.kind),
    });
    const result = page(rows, filter.limit);
    return {
      nextCursor: result.nextCursor,
      items: result.items.map((p) => {
        const incoming = p.credit_id === wallet;
        const kind: StatementKind =
          p.kind === 'transfer'
            ? incoming
              ? 'transfer_in'
              : 'transfer_out'
            : p.kind === 'refund_reversal' || p.kind === 'purchase_reversal'
              ? 'refund'
              : (p.kind as StatementKind);
        return {
          id: p.id,
          kind,
          amount: money(incoming ? Number(p.amount) : -Number(p.amount)),
          balanceAfter: money(Number(incoming ? p.credit_balance_after : p.debit_balance_after)),
          reference: p.reference_id,
          createdAt: p.created_at,
        };
      }),
    };
  }

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
    complete: Complete,
    actor: Actor,
    requestId: string,
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
        actor,
        action: 'payment.created',
        subject: { type: 'payment', id: row.id },
        accountId,
        after: { amount: row.amount, currency, provider: provider.name },
        requestId,
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
          returnUrl: `${config.publicUrl}/wallet?topup=${payment.id}`,
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
    await complete(db, body);
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

  /** The address a transfer to `to` goes to, or null when `to` is no address at all. */
  async function recipientAddress(tx: Executor, to: string) {
    const channel = to.includes('@') ? 'email' : 'sms';
    const { operatorCountry } = await deps.policies.get(tx);
    try {
      const target = normalizeTarget(channel, to, operatorCountry);
      return channel === 'email' ? { email: target, phone: null } : { email: null, phone: target };
    } catch {
      return null;
    }
  }

  function activeParty(account: Party | undefined, accountId: string): Party {
    if (!account) throw new Error(`account ${accountId} does not exist`);
    if (account.status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status: account.status });
    return account;
  }

  /** Sender and recipient of a transfer, read together, after every check on who may send to whom. */
  async function transferSides(tx: Executor, accountId: string, to: string) {
    const address = await recipientAddress(tx, to);
    const parties = await transfersStore.transferParties(tx, accountId, {
      email: address?.email ?? null,
      phone: address?.phone ?? null,
    });
    const sender = activeParty(
      parties.find((party) => party.id === accountId),
      accountId,
    );
    const recipient = parties.find(
      (party) =>
        party.role === 'subscriber' &&
        ((address?.email && party.email === address.email) ||
          (address?.phone && party.phone === address.phone)),
    );
    if (recipient?.id === sender.id) throw new AppError('SELF_TRANSFER', { field: 'to' });
    // Unknown, staff and inactive addresses answer alike, so a transfer cannot tell them apart.
    if (!recipient || recipient.status !== 'active')
      throw new AppError('RECIPIENT_NOT_FOUND', { field: 'to' });
    return { sender, recipient };
  }

  /**
   * At most `recipientChecksPerHour` recipient checks per subscriber (429 RATE_LIMITED with
   * Retry-After). A transfer refused for its recipient or its amount counts as a check too: either
   * answer says something about the address.
   */
  async function recipientBudget(accountId: string): Promise<void> {
    const now = clock.now();
    const since = new Date(now.getTime() - HOUR_MS).toISOString();
    const { recipientChecksPerHour: max } = await deps.policies.get();
    const recent = await transfersStore.recipientChecksSince(db, accountId, since, max);
    if (recent.length >= max) {
      const seconds = Math.max(
        1,
        Math.ceil((Date.parse(recent[0]!.created_at) + HOUR_MS - now.getTime()) / 1000),
      );
      throw new AppError(
        'RATE_LIMITED',
        { retryAfterSeconds: seconds, limit: 'recipientChecks' },
        { retryAfter: seconds },
      );
    }
  }

  async function countRecipientCheck(accountId: string): Promise<void> {
    const now = clock.now();
    const since = new Date(now.getTime() - HOUR_MS).toISOString();
    await db.transaction().execute(async (tx) => {
      const check = { id: newId('rck', now.getTime()), accountId, createdAt: now.toISOString() };
      await transfersStore.recordRecipientCheck(tx, check, since);
    });
  }

  /**
   * Whether a transfer to `to` can go through, for the confirmation step, and `to` masked as typed.
   * It says nothing more: an unknown address, a staff address and a suspended or closing subscriber
   * all answer "cannot receive", and each subscriber has a budget of checks per hour, so the check
   * cannot be used to find out who has an account or in what state.
   */
  async function recipient(accountId: string, to: string) {
    await recipientBudget(accountId);
    await countRecipientCheck(accountId);
    const channel = to.includes('@') ? 'email' : 'sms';
    const { operatorCountry } = await deps.policies.get();
    const target = normalizeTarget(channel, to, operatorCountry);
    const display = maskTarget(target);
    try {
      await transferSides(db, accountId, target);
      return { canReceive: true, display };
    } catch (error) {
      if (error instanceof AppError && error.code === 'RECIPIENT_NOT_FOUND')
        return { canReceive: false, display };
      throw error;
    }
  }

  async function transfer(
    accountId: string,
    input: { to: string; amount: MoneyValue },
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    checkCurrency(input.amount);
    // Spent checks refuse every transfer, so what is left of the hour cannot sort addresses either.
    await recipientBudget(accountId);
    try {
      return await transferOnce(accountId, input, complete, actor, requestId);
    } catch (error) {
      if (
        error instanceof AppError &&
        (error.code === 'RECIPIENT_NOT_FOUND' || error.code === 'INSUFFICIENT_BALANCE')
      )
        await countRecipientCheck(accountId);
      throw error;
    }
  }

  async function transferOnce(
    accountId: string,
    input: { to: string; amount: MoneyValue },
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    return db.transaction().execute(async (tx) => {
      const { sender, recipient } = await transferSides(tx, accountId, input.to);
      const from = walletId(sender.id);
      const transferId = newId('trf', clock.now().getTime());
      const posting = await ledger.post(tx, {
        debit: from,
        credit: walletId(recipient.id),
        amount: input.amount.amount,
        currency,
        kind: 'transfer',
        reference: { type: 'transfer', id: transferId },
        openCredit: { kind: 'wallet', ownerId: recipient.id },
      });
      await audit.record(tx, {
        actor,
        action: 'wallet.transfer',
        subject: { type: 'transfer', id: transferId },
        accountId: sender.id,
        after: { to: recipient.id, amount: input.amount.amount, currency },
        requestId,
      });
      const senderName = maskTarget(sender.email ?? sender.phone ?? '');
      const recipientName = maskTarget(recipient.email ?? recipient.phone ?? '');
      await notifications.notifyAll(tx, [
        {
          recipient: sender,
          template: 'transfer_sent',
          params: {
            amount: formatMoney(input.amount, sender.locale),
            balance: formatMoney(money(posting.debit_balance_after), sender.locale),
            counterpart: recipientName,
          },
        },
        {
          recipient,
          template: 'transfer_received',
          params: {
            amount: formatMoney(input.amount, recipient.locale),
            balance: formatMoney(money(posting.credit_balance_after), recipient.locale),
            counterpart: senderName,
          },
        },
      ]);
      const body = {
        id: transferId,
        status: 'succeeded',
        amount: money(input.amount.amount),
        to: { id: recipient.id, display: recipientName },
        balanceAfter: money(posting.debit_balance_after),
        createdAt: posting.created_at,
      };
      await complete(tx, body);
      return body;
    });
  }

  /** How much can go back to the original payment methods now, and the payments it would come from. */
  async function refundable(executor: Executor, accountId: string) {
    const wallet = await ledger.balance(executor, walletId(accountId));
    const payments = await paymentsStore.refundablePayments(executor, accountId);
    const unrefunded = payments.reduce((sum, p) => sum + Number(p.amount) - Number(p.refunded), 0);
    return { amount: Math.min(wallet, unrefunded), wallet, unrefunded, payments };
  }

  const arrearsId = (accountId: string) => ledgerAccountId('arrears', currency, accountId);

  /**
   * What a subscriber may give up: the balance that cannot go back to a payment method, after what
   * usage charged beyond the wallet (arrears) is paid from it. Money that can be refunded is not
   * forfeitable: it goes back through a refund. Transferable money is: the subscriber may have nobody
   * to give it to, and the choice to give it up is theirs.
   */
  async function forfeitable(executor: Executor, accountId: string) {
    const available = await refundable(executor, accountId);
    const owed = Math.max(0, -(await ledger.balance(executor, arrearsId(accountId))));
    const arrearsPaid = Math.min(available.wallet, owed);
    const left = available.wallet - arrearsPaid;
    const refundableAfter = Math.min(left, available.unrefunded);
    return {
      amount: left - refundableAfter,
      balance: available.wallet,
      arrears: owed,
      arrearsPaid,
      refundable: refundableAfter,
    };
  }

  /**
   * Pays arrears from the wallet, as far as it reaches, inside the caller's transaction (a top-up
   * settling, a forfeit). Returns what it paid.
   */
  async function settleArrears(tx: Executor, accountId: string, reference: { type: string; id: string }) {
    const owed = Math.max(0, -(await ledger.balance(tx, arrearsId(accountId))));
    if (owed === 0) return 0;
    const paid = Math.min(owed, await ledger.balance(tx, walletId(accountId)));
    if (paid === 0) return 0;
    await ledger.post(tx, {
      debit: walletId(accountId),
      credit: arrearsId(accountId),
      amount: paid,
      currency,
      kind: 'arrears_payment',
      reference,
    });
    return paid;
  }

  /**
   * Gives up part or all of the balance, knowingly (the subscriber confirmed this amount): arrears are
   * paid from the wallet first, then the amount moves to the operator's forfeited balances account,
   * where it stays on the books. 409 INSUFFICIENT_BALANCE above the balance,
   * FORFEIT_EXCEEDS_FORFEITABLE above what cannot be refunded.
   */
  async function forfeit(
    accountId: string,
    amount: MoneyValue,
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    checkCurrency(amount);
    const { operatorTimeZone } = await deps.policies.get();
    return db.transaction().execute(async (tx) => {
      const owner = await activeAccount(tx, accountId);
      const wallet = walletId(accountId);
      // Every other movement of this wallet waits, so the amount is checked against what stays true.
      if (config.database.dialect === 'postgres') await ledgerStore.lockAccount(tx, wallet);
      const can = await forfeitable(tx, accountId);
      if (amount.amount > can.balance)
        throw new AppError('INSUFFICIENT_BALANCE', { field: 'amount.amount', balance: money(can.balance) });
      if (amount.amount > can.amount) {
        throw new AppError('FORFEIT_EXCEEDS_FORFEITABLE', {
          field: 'amount.amount',
          forfeitable: money(can.amount),
          refundable: money(can.refundable),
          balance: money(can.balance),
          arrears: money(can.arrears),
        });
      }
      const forfeitId = newId('fft', clock.now().getTime());
      const reference = { type: 'forfeit', id: forfeitId };
      const arrearsPaid = await settleArrears(tx, accountId, reference);
      const forfeited = await ledger.ensureAccount(tx, 'forfeited', currency);
      const posting = await ledger.post(tx, {
        debit: wallet,
        credit: forfeited,
        amount: amount.amount,
        currency,
        kind: 'forfeit',
        reference,
        memo: 'given up by the subscriber',
      });
      await audit.record(tx, {
        actor,
        action: 'wallet.forfeit',
        subject: { type: 'forfeit', id: forfeitId },
        accountId,
        before: { balance: can.balance, arrears: can.arrears, refundable: can.refundable },
        after: {
          amount: amount.amount,
          currency,
          arrearsPaid,
          balance: posting.debit_balance_after,
        },
        requestId,
      });
      // The receipt, by email: what was given up, when, and the balance left.
      await notifications.notify(
        tx,
        owner,
        'balance_forfeited',
        {
          id: forfeitId,
          amount: formatMoney(amount, owner.locale),
          balance: formatMoney(money(posting.debit_balance_after), owner.locale),
          date: new Intl.DateTimeFormat(owner.locale, {
            dateStyle: 'long',
            timeStyle: 'short',
            timeZone: operatorTimeZone,
          }).format(new Date(posting.created_at)),
        },
        ['email'],
      );
      const body = {
        id: forfeitId,
        amount: money(amount.amount),
        arrearsPaid: money(arrearsPaid),
        balanceAfter: money(posting.debit_balance_after),
        createdAt: posting.created_at,
      };
      await complete(tx, body);
      return body;
    });
  }

  async function requestRefund(
    accountId: string,
    amount: MoneyValue,
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
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
        actor,
        action: 'refund.requested',
        subject: { type: 'refund', id: refundId },
        accountId,
        after: { amount: amount.amount, currency },
        requestId,
      });
      const body = { id: refundId, status: 'pending', amount: money(amount.amount), createdAt: now };
      await complete(tx, body);
      return body;
    });
  }

  async function submitRefund(refundId: string): Promise<void> {
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

  async function payment(accountId: string, paymentId: string) {
    const row = await paymentsStore.paymentOf(db, accountId, paymentId);
    return row ? presentPayment(row) : null;
  }

  /** Pays for an order from the wallet inside the caller's transaction (409 INSUFFICIENT_BALANCE). */
  async function charge(
    tx: Executor,
    accountId: string,
    amount: number,
    reference: { type: string; id: string },
  ) {
    await ledger.ensureAccount(tx, 'revenue', currency);
    return ledger.post(tx, {
      debit: walletId(accountId),
      credit: ledgerAccountId('revenue', currency),
      amount,
      currency,
      kind: 'purchase',
      reference,
    });
  }

  /** Gives back what `charge` took, when the order could not be fulfilled; shown as a refund in the statement. */
  async function reverseCharge(
    tx: Executor,
    accountId: string,
    amount: number,
    reference: { type: string; id: string },
  ) {
    const wallet = await ledger.ensureAccount(tx, 'wallet', currency, accountId);
    return ledger.post(tx, {
      debit: ledgerAccountId('revenue', currency),
      credit: wallet,
      amount,
      currency,
      kind: 'purchase_reversal',
      reference,
    });
  }

  /** Payments or refunds not settled yet (they block cancellation). */
  async function moneyInFlight(executor: Executor, accountId: string) {
    return paymentsStore.pendingOf(executor, accountId);
  }

  return {
    balance,
    statement,
    payment,
    topup,
    recipient,
    charge,
    reverseCharge,
    transfer,
    requestRefund,
    refundable,
    forfeitable,
    forfeit,
    settleArrears,
    moneyInFlight,
    ensureWallet,
    walletId,
    money,
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
