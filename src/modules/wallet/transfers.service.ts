import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { formatMoney, type MoneyValue } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { AuditService } from '../audit/audit.service.js';
import { maskTarget, normalizeTarget } from '../identity/normalize.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { Ledger } from './ledger.js';
import * as transfersStore from './stores/transfers.store.js';
import { activeParty, type WalletCore } from './wallet.core.js';

const HOUR_MS = 60 * 60 * 1000;

/** Transfers between subscribers' wallets, and the recipient check before one. */
export function createTransfers(deps: {
  db: Db;
  clock: Clock;
  core: WalletCore;
  ledger: Pick<Ledger, 'post'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notifyAll'>;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock, ledger, audit, notifications } = deps;
  const { currency, money, walletId, checkCurrency } = deps.core;

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

  async function transfer(accountId: string, input: { to: string; amount: MoneyValue }, caller: Caller) {
    checkCurrency(input.amount);
    // Spent checks refuse every transfer, so what is left of the hour cannot sort addresses either.
    await recipientBudget(accountId);
    try {
      return await transferOnce(accountId, input, caller);
    } catch (error) {
      if (
        error instanceof AppError &&
        (error.code === 'RECIPIENT_NOT_FOUND' || error.code === 'INSUFFICIENT_BALANCE')
      )
        await countRecipientCheck(accountId);
      throw error;
    }
  }

  async function transferOnce(accountId: string, input: { to: string; amount: MoneyValue }, caller: Caller) {
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
        actor: caller.actor,
        action: 'wallet.transfer',
        subject: { type: 'transfer', id: transferId },
        accountId: sender.id,
        after: { to: recipient.id, amount: input.amount.amount, currency },
        requestId: caller.requestId,
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
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  return { recipient, transfer };
}
