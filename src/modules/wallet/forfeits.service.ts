import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { formatMoney, type MoneyValue } from '../../core/money.js';
import type { Db, Dialect, Executor } from '../../db/database.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { Ledger } from './ledger.js';
import type { Refunds } from './refunds.service.js';
import * as ledgerStore from './stores/ledger.store.js';
import { activeAccount, type WalletCore } from './wallet.core.js';

/** Money that cannot go back to a payment method: arrears paid from the wallet, and forfeits. */
export function createForfeits(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  core: WalletCore;
  ledger: Pick<Ledger, 'balance' | 'post' | 'ensureAccount'>;
  refundable: Refunds['refundable'];
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock, ledger, audit, notifications, refundable } = deps;
  const { currency, money, walletId, arrearsId, checkCurrency } = deps.core;

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
  async function forfeit(accountId: string, amount: MoneyValue, caller: Caller) {
    checkCurrency(amount);
    const { operatorTimeZone } = await deps.policies.get();
    return db.transaction().execute(async (tx) => {
      const owner = await activeAccount(tx, accountId);
      const wallet = walletId(accountId);
      // Every other movement of this wallet waits, so the amount is checked against what stays true.
      if (deps.dialect === 'postgres') await ledgerStore.lockAccount(tx, wallet);
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
        actor: caller.actor,
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
        requestId: caller.requestId,
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
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  return { forfeitable, forfeit, settleArrears };
}
