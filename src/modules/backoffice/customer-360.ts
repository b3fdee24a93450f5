import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { isLocale } from '../../core/i18n.js';
import type { Db } from '../../db/database.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CancellationService } from '../cancellation/cancellation.service.js';
import type { LinesService } from '../lines/lines.service.js';
import type { SupportService } from '../support/support.service.js';
import type { UsageService } from '../usage/usage.service.js';
import { createStatementWords } from '../wallet/statement-words.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { presentAdjustment, subscriber } from './customers.core.js';
import { adjustmentsOfAccount } from './stores/adjustments.store.js';
import { recentMessages, usageTotalsSince } from './stores/customers.store.js';

/** The customer 360: everything about one subscriber an agent needs on one screen. */
export function createCustomer360(deps: {
  db: Db;
  clock: Clock;
  currency: string;
  audit: Pick<AuditService, 'list'>;
  wallet: Pick<WalletService, 'balance' | 'statement'>;
  lines: Pick<LinesService, 'list' | 'devices'>;
  usage: Pick<UsageService, 'arrears'>;
  cancellation: Pick<CancellationService, 'history'>;
  support: Pick<SupportService, 'ofAccountForStaff'>;
  reading: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, clock, currency } = deps;
  const words = createStatementWords({ db });

  /** The last 30 days' usage on the customer page: an aggregate, read on a replica when there is one. */
  async function usageSummary(accountId: string) {
    const since = new Date(clock.now().getTime() - 30 * 86_400_000).toISOString();
    const rows = await deps.reading((db) => usageTotalsSince(db, accountId, since));
    const of = (type: string) => rows.find((r) => r.type === type);
    return {
      since,
      dataBytes: Number(of('data')?.bytes ?? 0),
      voiceSeconds: Number(of('voice')?.seconds ?? 0),
      smsCount: Number(of('sms')?.records ?? 0),
      charged: { amount: rows.reduce((s, r) => s + Number(r.charged), 0), currency },
    };
  }

  /**
   * Everything about one subscriber an agent needs on one screen, in the agent's language (`viewer`'s
   * locale; the customer's own without one): plan names, what each statement line bought or whom it paid.
   */
  async function view(accountId: string, viewer: Pick<Caller, 'locale'> = {}) {
    const account = await subscriber(db, accountId);
    const locale = viewer.locale ?? (isLocale(account.locale) ? account.locale : 'en');
    const [balance, arrears, statement, lines, devices, usage, requests, tickets, auditTrail, messages] =
      await Promise.all([
        deps.wallet.balance(accountId),
        deps.usage.arrears(accountId),
        deps.wallet.statement(accountId, { limit: 20 }),
        deps.lines.list(accountId, locale),
        deps.lines.devices(accountId),
        usageSummary(accountId),
        deps.cancellation.history(accountId),
        deps.support.ofAccountForStaff(db, accountId),
        deps.audit.list({ accountId, limit: 50 }),
        recentMessages(db, accountId, 20),
      ]);
    const adjustments = await adjustmentsOfAccount(db, accountId);
    const facts = await words.describe(accountId, statement.items, locale);
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
      statement: statement.items.map((line) => ({ ...line, ...facts.get(line.id) })),
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

  return { view };
}
