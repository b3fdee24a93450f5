import { sql } from 'kysely';
import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { isLocale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import { formatMoney } from '../../core/money.js';
import type { Db, Dialect, Executor } from '../../db/database.js';
import type { AccountRole, AdjustmentKind } from '../../db/schema.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Ledger, ledgerAccountId } from '../wallet/ledger.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { presentAdjustment, subscriber } from './customers.core.js';
import {
  type AdjustmentRow,
  adjustmentsWaitingForApproval,
  decideAdjustmentRow,
  findAdjustment,
  getAdjustment,
  insertAdjustment,
  selfApprovedTotalSince,
} from './stores/adjustments.store.js';

/**
 * Goodwill credits, write-offs and arrears waivers: above the policy's limit an agent's waits for an
 * admin; always audited.
 */
export function createAdjustments(deps: {
  db: Db;
  clock: Clock;
  currency: string;
  dialect: Dialect;
  audit: Pick<AuditService, 'record'>;
  ledger: Pick<Ledger, 'balance' | 'ensureAccount' | 'post'>;
  wallet: Pick<WalletService, 'walletId' | 'ensureWallet'>;
  notifications: Pick<NotificationService, 'notify'>;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock, audit, currency } = deps;

  /**
   * Can this adjustment be posted to this account now? Goodwill needs an active or suspended account;
   * a write-off a balance that holds the amount; a waiver an account being closed that owes as much.
   */
  async function checkPostable(tx: Executor, kind: AdjustmentKind, accountId: string, amount: number) {
    const account = await subscriber(tx, accountId);
    if (kind === 'goodwill') {
      if (account.status !== 'active' && account.status !== 'suspended')
        throw new AppError('ACCOUNT_NOT_ACTIVE', { status: account.status });
    } else if (kind === 'write_off') {
      if (account.status === 'deregistered')
        throw new AppError('ACCOUNT_NOT_ACTIVE', { status: account.status });
      const balance = await deps.ledger.balance(tx, deps.wallet.walletId(accountId));
      if (amount > balance)
        throw new AppError('INSUFFICIENT_BALANCE', {
          field: 'amount.amount',
          balance: { amount: balance, currency },
        });
    } else {
      if (account.status !== 'cancellation_pending')
        throw new AppError('ACCOUNT_NOT_CLOSING', { status: account.status });
      const owed = await arrearsOf(tx, accountId);
      if (amount > owed)
        throw new AppError('WAIVER_EXCEEDS_ARREARS', {
          field: 'amount.amount',
          arrears: { amount: owed, currency },
        });
    }
    return account;
  }

  async function arrearsOf(executor: Executor, accountId: string) {
    return Math.max(
      0,
      -(await deps.ledger.balance(executor, ledgerAccountId('arrears', currency, accountId))),
    );
  }

  /**
   * Posts an adjustment against the operator's adjustments account and tells the customer: goodwill
   * credits the wallet, a write-off debits it, a waiver cancels that much of the arrears.
   */
  async function post(tx: Executor, adjustment: AdjustmentRow, approver: Actor) {
    if (adjustment.kind !== 'goodwill') return postDebit(tx, adjustment, approver);
    const account = await checkPostable(tx, 'goodwill', adjustment.account_id, Number(adjustment.amount));
    await deps.wallet.ensureWallet(tx, account.id);
    const source = await deps.ledger.ensureAccount(tx, 'adjustments', currency);
    const posting = await deps.ledger.post(tx, {
      debit: source,
      credit: deps.wallet.walletId(account.id),
      amount: Number(adjustment.amount),
      currency,
      kind: 'adjustment',
      reference: { type: 'adjustment', id: adjustment.id },
      memo: adjustment.reason,
    });
    const now = clock.now().toISOString();
    await decideAdjustmentRow(tx, adjustment.id, { status: 'posted', decidedBy: approver.id, at: now });
    const locale = isLocale(account.locale) ? account.locale : 'en';
    await deps.notifications.notify(tx, account, 'adjustment_posted', {
      amount: formatMoney({ amount: Number(adjustment.amount), currency }, locale),
      balance: formatMoney({ amount: posting.credit_balance_after, currency }, locale),
      reason: adjustment.reason,
    });
  }

  /** A write-off (wallet → adjustments) or an arrears waiver (adjustments → arrears). */
  async function postDebit(tx: Executor, adjustment: AdjustmentRow, approver: Actor) {
    const amount = Number(adjustment.amount);
    const account = await checkPostable(tx, adjustment.kind, adjustment.account_id, amount);
    const operator = await deps.ledger.ensureAccount(tx, 'adjustments', currency);
    const writeOff = adjustment.kind === 'write_off';
    const posting = await deps.ledger.post(tx, {
      debit: writeOff ? deps.wallet.walletId(account.id) : operator,
      credit: writeOff ? operator : ledgerAccountId('arrears', currency, account.id),
      amount,
      currency,
      kind: writeOff ? 'write_off' : 'arrears_waiver',
      reference: { type: 'adjustment', id: adjustment.id },
      memo: adjustment.reason,
    });
    await decideAdjustmentRow(tx, adjustment.id, {
      status: 'posted',
      decidedBy: approver.id,
      at: clock.now().toISOString(),
    });
    const locale = isLocale(account.locale) ? account.locale : 'en';
    const format = (value: number) => formatMoney({ amount: value, currency }, locale);
    await deps.notifications.notify(tx, account, writeOff ? 'write_off_posted' : 'arrears_waived', {
      amount: format(amount),
      balance: format(writeOff ? posting.debit_balance_after : -posting.credit_balance_after),
      reason: adjustment.reason,
    });
  }

  /**
   * What one agent has moved on one account on their own authority (posted without an admin) in the
   * 24 hours before `now` — goodwill credits, write-offs and waivers together: the approval limit
   * applies to this sum, so splitting a large credit or debit into small ones still needs an admin.
   */
  async function selfApprovedSince(tx: Executor, accountId: string, staffId: string, now: Date) {
    const since = new Date(now.getTime() - 86_400_000).toISOString();
    return selfApprovedTotalSince(tx, accountId, staffId, since);
  }

  /**
   * A goodwill credit, a write-off or an arrears waiver. An agent's request is posted at once while
   * what this agent moved on this account in the last 24 hours (all three kinds), this one included,
   * stays within the policy's limit; beyond it the request waits for an admin. Admins' post at once.
   * Always audited.
   */
  async function requestAdjustment(
    accountId: string,
    input: { amount: { amount: number; currency: string }; reason: string; kind?: AdjustmentKind },
    caller: Caller & { role: AccountRole },
  ) {
    const staff = caller.actor;
    // Staff-only routes: the actor is a signed-in agent or admin.
    const staffId = staff.id!;
    const kind = input.kind ?? 'goodwill';
    // The audit trail keeps the goodwill credit's names; the debits have their own.
    const action = kind === 'goodwill' ? 'adjustment' : kind;
    if (input.amount.currency !== currency)
      throw new AppError('CURRENCY_MISMATCH', { field: 'amount.currency' }, { currency });
    const { adjustmentApprovalMinor } = await deps.policies.get();
    return db.transaction().execute(async (tx) => {
      // An agent's credits to one account are summed one after the other (SQLite runs one transaction at a time).
      if (deps.dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(7302, hashtext(${accountId}))`.execute(tx);
      if (kind === 'goodwill') await subscriber(tx, accountId);
      // A debit is refused at once if it could not be posted now (an admin's approval checks again).
      else await checkPostable(tx, kind, accountId, input.amount.amount);
      const row: AdjustmentRow = {
        id: newId('adj', clock.now().getTime()),
        account_id: accountId,
        amount: input.amount.amount,
        currency,
        reason: input.reason.trim(),
        status: 'pending_approval',
        kind,
        requested_by: staffId,
        decided_by: null,
        created_at: clock.now().toISOString(),
        decided_at: null,
      };
      await insertAdjustment(tx, row);
      await audit.record(tx, {
        actor: staff,
        action: `${action}.requested`,
        subject: { type: 'adjustment', id: row.id },
        accountId,
        after: { kind, amount: row.amount, currency, reason: row.reason },
        requestId: caller.requestId,
      });
      const withinLimit =
        caller.role === 'admin' ||
        (await selfApprovedSince(tx, accountId, staffId, clock.now())) + row.amount <=
          adjustmentApprovalMinor;
      if (withinLimit) {
        await post(tx, row, staff);
        await audit.record(tx, {
          actor: staff,
          action: `${action}.posted`,
          subject: { type: 'adjustment', id: row.id },
          accountId,
          after: { kind, amount: row.amount, currency },
          requestId: caller.requestId,
        });
      }
      const body = presentAdjustment(await getAdjustment(tx, row.id));
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  /** An admin approves or rejects an adjustment waiting above the limit. */
  async function decideAdjustment(id: string, decision: 'approve' | 'reject', caller: Caller) {
    const admin = caller.actor;
    return db.transaction().execute(async (tx) => {
      const row = await findAdjustment(tx, id);
      if (!row) throw new AppError('ADJUSTMENT_NOT_FOUND', { id });
      if (row.status !== 'pending_approval')
        throw new AppError('INVALID_TRANSITION', { status: row.status, to: decision });
      if (decision === 'approve') await post(tx, row, admin);
      else
        await decideAdjustmentRow(tx, id, {
          status: 'rejected',
          decidedBy: admin.id,
          at: clock.now().toISOString(),
        });
      const action = row.kind === 'goodwill' ? 'adjustment' : row.kind;
      await audit.record(tx, {
        actor: admin,
        action: decision === 'approve' ? `${action}.posted` : `${action}.rejected`,
        subject: { type: 'adjustment', id },
        accountId: row.account_id,
        after: { kind: row.kind, amount: Number(row.amount), currency: row.currency },
      });
      return presentAdjustment(await getAdjustment(tx, id));
    });
  }

  async function pendingAdjustments() {
    const rows = await adjustmentsWaitingForApproval(db);
    return { items: rows.map(presentAdjustment), nextCursor: null };
  }

  return { requestAdjustment, decideAdjustment, pendingAdjustments };
}
