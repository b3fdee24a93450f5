import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db, Dialect } from '../../db/database.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { Jobs } from '../../runner/jobs.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { createCharges } from './charges.service.js';
import { createForfeits } from './forfeits.service.js';
import type { Ledger } from './ledger.js';
import { createRefunds } from './refunds.service.js';
import { createStatements } from './statement.service.js';
import { createTopups } from './topups.service.js';
import { createTransfers } from './transfers.service.js';
import { createWalletCore } from './wallet.core.js';
import { createWalletJobs } from './wallet.jobs.js';

export { STATEMENT_KINDS, type StatementFilter, type StatementKind } from './statement.service.js';

/**
 * The wallet: balance and statement, top-ups, transfers, refunds, forfeits, and the charges other
 * modules make. Each use case has its file; this puts them together as `ctx.wallet`.
 */
export function createWalletService(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  currency: string;
  /** Where a payment provider's hosted page sends the subscriber back to. */
  publicUrl: string;
  ledger: Ledger;
  jobs: Pick<Jobs, 'register' | 'enqueue'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify' | 'notifyAll'>;
  payments: () => PaymentProvider;
  policies: Pick<PolicyService, 'get'>;
  logger?: Logger;
  /** Reads on a replica when one answers: statement pages of settled history. */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, clock, ledger, audit, notifications, policies } = deps;
  const core = createWalletCore({ currency: deps.currency, ledger });
  const jobs = createWalletJobs({ db, payments: deps.payments });
  deps.jobs.register(jobs.submitRefund);

  const statements = createStatements({ db, clock, ledger, core, reading: deps.reading });
  const topups = createTopups({
    db,
    clock,
    core,
    publicUrl: deps.publicUrl,
    audit,
    payments: deps.payments,
    policies,
    logger: deps.logger,
  });
  const transfers = createTransfers({ db, clock, core, ledger, audit, notifications, policies });
  const refunds = createRefunds({
    db,
    clock,
    core,
    ledger,
    jobs: deps.jobs,
    submitRefundJob: jobs.submitRefund,
    audit,
  });
  const forfeits = createForfeits({
    db,
    dialect: deps.dialect,
    clock,
    core,
    ledger,
    refundable: refunds.refundable,
    audit,
    notifications,
    policies,
  });
  const charges = createCharges({ core, ledger });

  return {
    balance: statements.balance,
    statement: statements.statement,
    payment: topups.payment,
    topup: topups.topup,
    recipient: transfers.recipient,
    charge: charges.charge,
    reverseCharge: charges.reverseCharge,
    transfer: transfers.transfer,
    requestRefund: refunds.requestRefund,
    refundable: refunds.refundable,
    forfeitable: forfeits.forfeitable,
    forfeit: forfeits.forfeit,
    settleArrears: forfeits.settleArrears,
    moneyInFlight: refunds.moneyInFlight,
    ensureWallet: core.ensureWallet,
    walletId: core.walletId,
    money: core.money,
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
