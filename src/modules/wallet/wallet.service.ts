import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
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
  const { db, clock, config, ledger, audit, notifications, policies } = deps;
  const core = createWalletCore({ currency: config.currency, ledger });
  const jobs = createWalletJobs({ db, payments: deps.payments });
  deps.jobs.register(jobs.submitRefund);

  const statements = createStatements({ db, ledger, core });
  const topups = createTopups({
    db,
    clock,
    core,
    publicUrl: config.publicUrl,
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
    dialect: config.database.dialect,
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
