import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db, Dialect } from '../../db/database.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CancellationService } from '../cancellation/cancellation.service.js';
import type { LinesService } from '../lines/lines.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { SupportService } from '../support/support.service.js';
import type { UsageService } from '../usage/usage.service.js';
import type { Ledger } from '../wallet/ledger.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { createAdjustments } from './adjustments.service.js';
import { createCustomer360 } from './customer-360.js';
import { createCustomerSearch } from './customer-search.js';
import { messageOfAccount } from './stores/customers.store.js';

export { classifyTerm } from './customer-search.js';

/**
 * The staff's view of one customer (customer 360) and the few things an agent may do to an account:
 * find it by email, phone, MSISDN, ICCID, EID or id (customer-search.ts); resend a notification; post
 * a goodwill credit, write off a balance or waive a closing account's arrears (adjustments.service.ts:
 * above the policy's limit an agent's waits for an admin; always audited).
 */
export function createCustomers(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  currency: string;
  audit: Pick<AuditService, 'record' | 'list'>;
  ledger: Pick<Ledger, 'balance' | 'ensureAccount' | 'post'>;
  wallet: Pick<WalletService, 'walletId' | 'ensureWallet' | 'balance' | 'statement'>;
  lines: Pick<LinesService, 'list' | 'devices'>;
  usage: Pick<UsageService, 'arrears'>;
  cancellation: Pick<CancellationService, 'history'>;
  support: Pick<SupportService, 'ofAccountForStaff'>;
  notifications: Pick<NotificationService, 'notify' | 'resend'>;
  policies: Pick<PolicyService, 'get'>;
  /** Heavy reads that may lag a little: on a read replica when there is one (Database.reading). */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, audit } = deps;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));
  const finding = createCustomerSearch({ policies: deps.policies, reading });
  const customer360 = createCustomer360({ ...deps, reading });
  const adjustments = createAdjustments(deps);

  /** Sends a copy of an earlier notification again (the customer says it never arrived). */
  async function resend(accountId: string, messageId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const message = await messageOfAccount(tx, accountId, messageId);
      // Sign-in codes are blanked once delivered and never resent: the customer asks for a new one.
      if (!message || message.sensitive === 1) throw new AppError('NOT_FOUND', { field: 'messageId' });
      const [id] = await deps.notifications.resend(tx, message);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'notification.resent',
        subject: { type: 'message', id: messageId },
        accountId,
        after: { copy: id },
      });
      return { id: id ?? '' };
    });
  }

  return {
    search: finding.search,
    view: customer360.view,
    requestAdjustment: adjustments.requestAdjustment,
    decideAdjustment: adjustments.decideAdjustment,
    pendingAdjustments: adjustments.pendingAdjustments,
    resend,
  };
}

export type Customers = ReturnType<typeof createCustomers>;
