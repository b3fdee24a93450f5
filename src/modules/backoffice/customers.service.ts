import { sql } from 'kysely';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { isLocale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import { formatMoney } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { AdjustmentKind, AdjustmentsTable } from '../../db/schema.js';
import type { Complete } from '../../http/idempotency.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CancellationService } from '../cancellation/cancellation.service.js';
import { normalizeEmail, normalizePhone } from '../identity/normalize.js';
import type { LinesService } from '../lines/lines.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { SupportService } from '../support/support.service.js';
import type { UsageService } from '../usage/usage.service.js';
import { type Ledger, ledgerAccountId } from '../wallet/ledger.js';
import type { WalletService } from '../wallet/wallet.service.js';

type AdjustmentRow = import('kysely').Selectable<AdjustmentsTable>;

/** What a search term looks like, so one box finds a customer by anything an agent is told. */
export function classifyTerm(raw: string): {
  kind: 'id' | 'email' | 'eid' | 'iccid' | 'phone';
  value: string;
} {
  const term = raw.trim();
  if (/^acc_[0-9A-Z]{26}$/i.test(term)) return { kind: 'id', value: term };
  if (term.includes('@')) return { kind: 'email', value: term };
  const digits = term.replace(/[\s-]/g, '');
  if (/^89\d{30}$/.test(digits)) return { kind: 'eid', value: digits };
  if (/^89\d{16,18}F?$/i.test(digits)) return { kind: 'iccid', value: digits.toUpperCase() };
  return { kind: 'phone', value: term };
}

/**
 * The staff's view of one customer (customer 360) and the few things an agent may do to an account:
 * find it by email, phone, MSISDN, ICCID, EID or id; resend a notification; post a goodwill credit,
 * write off a balance or waive a closing account's arrears (above the policy's limit an agent's
 * waits for an admin; always audited).
 */
export function createCustomers(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  audit: AuditService;
  ledger: Ledger;
  wallet: WalletService;
  lines: LinesService;
  usage: UsageService;
  cancellation: CancellationService;
  support: SupportService;
  notifications: NotificationService;
  policies: PolicyService;
  /** Heavy reads that may lag a little: on a read replica when there is one (Database.reading). */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, clock, config, audit } = deps;
  const currency = config.currency;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));

  /** A staff search: on a read replica when there is one (a customer created a moment ago may lag). */
  const search = (raw: string) => reading((replica) => searchOn(replica, raw));

  async function searchOn(db: Db, raw: string) {
    const { kind, value } = classifyTerm(raw);
    let ids: string[] = [];
    if (kind === 'id') ids = [value];
    if (kind === 'email') {
      let email: string;
      try {
        email = normalizeEmail(value);
      } catch {
        email = value.toLowerCase();
      }
      ids = (await db.selectFrom('accounts').select('id').where('email', '=', email).execute()).map(
        (r) => r.id,
      );
    }
    if (kind === 'eid') {
      ids = (await db.selectFrom('devices').select('account_id').where('eid', '=', value).execute()).map(
        (r) => r.account_id,
      );
    }
    if (kind === 'iccid') {
      ids = (await db.selectFrom('esims').select('account_id').where('iccid', '=', value).execute()).map(
        (r) => r.account_id,
      );
    }
    if (kind === 'phone') {
      let phone: string | null = null;
      try {
        phone = normalizePhone(value, (await deps.policies.get()).operatorCountry);
      } catch {
        phone = null;
      }
      if (phone) {
        // The sign-in phone or a line's number (MSISDN): both are "the customer's phone" to an agent.
        const byPhone = await db.selectFrom('accounts').select('id').where('phone', '=', phone).execute();
        const byNumber = await db
          .selectFrom('lines')
          .select('account_id')
          .where('msisdn', '=', phone)
          .execute();
        ids = [...byPhone.map((r) => r.id), ...byNumber.map((r) => r.account_id)];
      }
    }
    const unique = [...new Set(ids)].slice(0, 50);
    if (unique.length === 0) return { items: [], nextCursor: null };
    const rows = await db
      .selectFrom('accounts')
      .selectAll()
      .where('id', 'in', unique)
      .where('role', '=', 'subscriber')
      .orderBy('id', 'desc')
      .execute();
    return {
      items: rows.map((a) => ({
        id: a.id,
        email: a.email,
        phone: a.phone,
        status: a.status,
        locale: a.locale,
        createdAt: a.created_at,
        matchedBy: kind,
      })),
      nextCursor: null,
    };
  }

  async function subscriber(executor: Executor, accountId: string) {
    const account = await executor
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', accountId)
      .where('role', '=', 'subscriber')
      .executeTakeFirst();
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', { id: accountId });
    return account;
  }

  /** The last 30 days' usage on the customer page: an aggregate, read on a replica when there is one. */
  async function usageSummary(accountId: string) {
    const since = new Date(clock.now().getTime() - 30 * 86_400_000).toISOString();
    const rows = await reading((db) =>
      db
        .selectFrom('usage_records')
        .select([
          'type',
          (eb) => eb.fn.countAll<number>().as('records'),
          (eb) => eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('bytes'),
          (eb) => eb.fn.coalesce(eb.fn.sum<number>('duration_seconds'), eb.lit(0)).as('seconds'),
          (eb) => eb.fn.coalesce(eb.fn.sum<number>('charge'), eb.lit(0)).as('charged'),
        ])
        .where('account_id', '=', accountId)
        .where('started_at', '>=', since)
        .groupBy('type')
        .execute(),
    );
    const of = (type: string) => rows.find((r) => r.type === type);
    return {
      since,
      dataBytes: Number(of('data')?.bytes ?? 0),
      voiceSeconds: Number(of('voice')?.seconds ?? 0),
      smsCount: Number(of('sms')?.records ?? 0),
      charged: { amount: rows.reduce((s, r) => s + Number(r.charged), 0), currency },
    };
  }

  /** Everything about one subscriber an agent needs on one screen. */
  async function view(accountId: string) {
    const account = await subscriber(db, accountId);
    const locale = isLocale(account.locale) ? account.locale : 'en';
    const [balance, arrears, statement, lines, devices, usage, requests, tickets, auditTrail, messages] =
      await Promise.all([
        deps.wallet.balance(accountId),
        deps.usage.arrears(accountId),
        deps.wallet.statement(accountId, { limit: 20 }),
        deps.lines.list(accountId, locale),
        deps.lines.devices(db, accountId),
        usageSummary(accountId),
        deps.cancellation.history(accountId),
        deps.support.ofAccount(db, accountId, true),
        audit.list(db, { accountId, limit: 50 }),
        db
          .selectFrom('messages')
          .select(['id', 'channel', 'to', 'template', 'subject', 'status', 'created_at'])
          .where('account_id', '=', accountId)
          .orderBy('id', 'desc')
          .limit(20)
          .execute(),
      ]);
    const adjustments = await db
      .selectFrom('adjustments')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .execute();
    return {
      id: account.id,
      email: account.email,
      phone: account.phone,
      status: account.status,
      locale: account.locale,
      role: account.role,
      createdAt: account.created_at,
      erasedAt: account.erased_at,
      balance,
      arrears: { amount: arrears, currency },
      statement: statement.items,
      lines,
      devices,
      usage,
      requests,
      tickets,
      audit: auditTrail.items,
      messages: messages.map((m) => ({
        id: m.id,
        channel: m.channel,
        to: m.to,
        template: m.template,
        subject: m.subject,
        status: m.status,
        createdAt: m.created_at,
      })),
      adjustments: adjustments.map(presentAdjustment),
    };
  }

  function presentAdjustment(a: AdjustmentRow) {
    return {
      id: a.id,
      accountId: a.account_id,
      kind: a.kind,
      amount: { amount: Number(a.amount), currency: a.currency },
      reason: a.reason,
      status: a.status,
      requestedBy: a.requested_by,
      decidedBy: a.decided_by,
      createdAt: a.created_at,
      decidedAt: a.decided_at,
    };
  }

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
    await tx
      .updateTable('adjustments')
      .set({ status: 'posted', decided_by: approver.id, decided_at: now })
      .where('id', '=', adjustment.id)
      .execute();
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
    await tx
      .updateTable('adjustments')
      .set({ status: 'posted', decided_by: approver.id, decided_at: clock.now().toISOString() })
      .where('id', '=', adjustment.id)
      .execute();
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
    const row = await tx
      .selectFrom('adjustments')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('total'))
      .where('account_id', '=', accountId)
      .where('requested_by', '=', staffId)
      .where('decided_by', '=', staffId)
      .where('status', '=', 'posted')
      .where('created_at', '>', since)
      .executeTakeFirstOrThrow();
    return Number(row.total);
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
    staff: Actor & { id: string; role: string },
    complete: Complete,
    requestId: string,
  ) {
    const kind = input.kind ?? 'goodwill';
    // The audit trail keeps the goodwill credit's names; the debits have their own.
    const action = kind === 'goodwill' ? 'adjustment' : kind;
    if (input.amount.currency !== currency)
      throw new AppError('CURRENCY_MISMATCH', { field: 'amount.currency' }, { currency });
    const { adjustmentApprovalMinor } = await deps.policies.get();
    return db.transaction().execute(async (tx) => {
      // An agent's credits to one account are summed one after the other (SQLite runs one transaction at a time).
      if (config.database.dialect === 'postgres')
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
        requested_by: staff.id,
        decided_by: null,
        created_at: clock.now().toISOString(),
        decided_at: null,
      };
      await tx.insertInto('adjustments').values(row).execute();
      await audit.record(tx, {
        actor: staff,
        action: `${action}.requested`,
        subject: { type: 'adjustment', id: row.id },
        accountId,
        after: { kind, amount: row.amount, currency, reason: row.reason },
        requestId,
      });
      const withinLimit =
        staff.role === 'admin' ||
        (await selfApprovedSince(tx, accountId, staff.id, clock.now())) + row.amount <=
          adjustmentApprovalMinor;
      if (withinLimit) {
        await post(tx, row, staff);
        await audit.record(tx, {
          actor: staff,
          action: `${action}.posted`,
          subject: { type: 'adjustment', id: row.id },
          accountId,
          after: { kind, amount: row.amount, currency },
          requestId,
        });
      }
      const body = presentAdjustment(
        await tx.selectFrom('adjustments').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow(),
      );
      await complete(tx, body);
      return body;
    });
  }

  /** An admin approves or rejects an adjustment waiting above the limit. */
  async function decideAdjustment(id: string, decision: 'approve' | 'reject', admin: Actor) {
    return db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('adjustments').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new AppError('ADJUSTMENT_NOT_FOUND', { id });
      if (row.status !== 'pending_approval')
        throw new AppError('INVALID_TRANSITION', { status: row.status, to: decision });
      if (decision === 'approve') await post(tx, row, admin);
      else {
        await tx
          .updateTable('adjustments')
          .set({ status: 'rejected', decided_by: admin.id, decided_at: clock.now().toISOString() })
          .where('id', '=', id)
          .execute();
      }
      const action = row.kind === 'goodwill' ? 'adjustment' : row.kind;
      await audit.record(tx, {
        actor: admin,
        action: decision === 'approve' ? `${action}.posted` : `${action}.rejected`,
        subject: { type: 'adjustment', id },
        accountId: row.account_id,
        after: { kind: row.kind, amount: Number(row.amount), currency: row.currency },
      });
      return presentAdjustment(
        await tx.selectFrom('adjustments').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      );
    });
  }

  async function pendingAdjustments() {
    const rows = await db
      .selectFrom('adjustments')
      .selectAll()
      .where('status', '=', 'pending_approval')
      .orderBy('id')
      .execute();
    return { items: rows.map(presentAdjustment), nextCursor: null };
  }

  /** Sends a copy of an earlier notification again (the customer says it never arrived). */
  async function resend(accountId: string, messageId: string, staff: Actor) {
    return db.transaction().execute(async (tx) => {
      const message = await tx
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', messageId)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      // Sign-in codes are blanked once delivered and never resent: the customer asks for a new one.
      if (!message || message.sensitive === 1) throw new AppError('NOT_FOUND', { field: 'messageId' });
      const [id] = await deps.notifications.resend(tx, message);
      await audit.record(tx, {
        actor: staff,
        action: 'notification.resent',
        subject: { type: 'message', id: messageId },
        accountId,
        after: { copy: id },
      });
      return { id: id ?? '' };
    });
  }

  return { search, view, requestAdjustment, decideAdjustment, pendingAdjustments, resend };
}

export type Customers = ReturnType<typeof createCustomers>;
