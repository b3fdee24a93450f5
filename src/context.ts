import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { type Clock, systemClock } from './core/clock.js';
import { createLogger, type Logger } from './core/logger.js';
import { createMetrics, type Metrics, scrapedGauge } from './core/metrics.js';
import { type Database, openDatabase } from './db/database.js';
import { createIdempotency, type Idempotency } from './http/idempotency.js';
import { createRecordingNetwork } from './integrations/network/network.js';
import { choosePaymentProvider } from './integrations/payments/choose.js';
import type { PaymentProvider } from './integrations/payments/provider.js';
import type { TestPaymentProvider } from './integrations/payments/test-provider.js';
import { createEs2Client, type Es2Client } from './integrations/smdp/client.js';
import { createSmdpEmulator, EMULATOR_PREFIX, type SmdpEmulator } from './integrations/smdp/emulator.js';
import { type AuditService, createAuditService } from './modules/audit/audit.service.js';
import { type Customers, createCustomers } from './modules/backoffice/customers.service.js';
import { createOperations, type Operations } from './modules/backoffice/operations.service.js';
import {
  type CancellationService,
  createCancellationService,
} from './modules/cancellation/cancellation.service.js';
import { createEligibility, type Eligibility } from './modules/cancellation/eligibility.js';
import { createRetention, type Retention } from './modules/cancellation/retention.js';
import { type CatalogService, createCatalogService } from './modules/catalog/catalog.service.js';
import { createExportService, type ExportService } from './modules/exports/exports.service.js';
import { registerIdentityJobs } from './modules/identity/identity.jobs.js';
import { createIdentityService, type IdentityService } from './modules/identity/identity.service.js';
import { createLineExtras, type LineExtras } from './modules/lines/extras.service.js';
import { createLinesService, type LinesService } from './modules/lines/lines.service.js';
import { createNumberPool } from './modules/lines/numbers.js';
import { createSuspension, type Suspension } from './modules/lines/suspension.service.js';
import {
  createNotificationService,
  type NotificationService,
} from './modules/notifications/notifications.service.js';
import { createReadinessProbe, type ReadinessProbe } from './modules/ops/readiness.js';
import { createPolicies, defaultPolicies, type PolicyService } from './modules/policies/policies.service.js';
import { createSupportService, type SupportService } from './modules/support/support.service.js';
import { createUsageService, type UsageService } from './modules/usage/usage.service.js';
import { createLedger, type Ledger } from './modules/wallet/ledger.js';
import { createPaymentWebhooks, type PaymentWebhooks } from './modules/wallet/payment-webhooks.js';
import { reconcilePaymentsJob } from './modules/wallet/wallet.jobs.js';
import { createWalletService, type WalletService } from './modules/wallet/wallet.service.js';
import { createJobs, type Jobs } from './runner/jobs.js';
import { jobCountsByStatus } from './runner/jobs.store.js';
import { createRunner, type Runner } from './runner/runner.js';

export interface AppContext {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: Database;
  metrics: Metrics;
  jobs: Jobs;
  runner: Runner;
  audit: AuditService;
  notifications: NotificationService;
  identity: IdentityService;
  idempotency: Idempotency;
  ledger: Ledger;
  wallet: WalletService;
  paymentWebhooks: PaymentWebhooks;
  /** The payment provider in use; `test` is set when it is the built-in test provider. */
  payments: { provider: PaymentProvider; test: TestPaymentProvider | null };
  catalog: CatalogService;
  lines: LinesService;
  lineExtras: LineExtras;
  es2: Es2Client;
  usage: UsageService;
  exports: ExportService;
  eligibility: Eligibility;
  cancellation: CancellationService;
  suspension: Suspension;
  policies: PolicyService;
  support: SupportService;
  retention: Retention;
  customers: Customers;
  operations: Operations;
  /** The built-in SM-DP+ emulator when no real SM-DP+ is configured (demo mode and tests). */
  smdpEmulator: SmdpEmulator | null;
  /**
   * Where this server can be reached by itself (set once listening; the emulator and ES2+ client use
   * it), and the loopback-only ES2+ listener the emulator notifies in production (null: the public one).
   */
  self: { url: string; es2Loopback: string | null };
  /** What /readyz answers: the database answers, takes a write and its schema is current. */
  readiness: ReadinessProbe;
  /** Set when the process begins to shut down: /readyz answers 503 so load balancers stop sending. */
  lifecycle: { draining: boolean };
}

export interface ContextOverrides {
  clock?: Clock;
  logger?: Logger;
  database?: Database;
}

/** Builds everything the app and the runner need, in one place. Tests pass fakes through `overrides`. */
export function createAppContext(config: Config, overrides: ContextOverrides = {}): AppContext {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const database =
    overrides.database ?? openDatabase(config.database, { sqliteSynchronous: config.sqlite.synchronous });
  const metrics = createMetrics();
  const jobs = createJobs({ clock, defaultMaxAttempts: config.runner.maxAttempts });
  const runner = createRunner(
    { db: database.db, dialect: database.dialect, clock, logger, jobs, metrics },
    {
      pollIntervalMs: config.runner.pollIntervalMs,
      concurrency: config.runner.concurrency,
      leaseMs: config.runner.leaseMs,
    },
  );

  scrapedGauge(
    metrics,
    {
      name: 'runner_queue_depth',
      help: 'Jobs by status (queued, running, dead)',
      labelNames: ['status'] as const,
    },
    async () => {
      const rows = await jobCountsByStatus(database.db, ['queued', 'running', 'dead']);
      return ['queued', 'running', 'dead'].map((status) => ({
        labels: { status },
        value: Number(rows.find((r) => r.status === status)?.n ?? 0),
      }));
    },
  );

  const db = database.db;
  const audit = createAuditService({ db, clock });
  const notifications = createNotificationService({
    db,
    clock,
    jobs,
    brandName: config.brandName,
    publicUrl: config.publicUrl,
    smtp: config.smtp,
    sms: config.sms,
    devMailbox: config.demoParts.has('dev-mailbox'),
  });
  const policies = createPolicies({ db, clock, defaults: defaultPolicies(config), audit });
  const identity = createIdentityService({
    db,
    clock,
    secret: config.secret,
    sessionCacheMs: config.sessionCacheMs,
    audit,
    notifications,
    policies,
    identityChanges: database.identityChanges,
  });
  registerIdentityJobs({ db, clock, logger, jobs });

  const idempotency = createIdempotency({ db, clock, claimMs: config.idempotencyClaimSeconds * 1000 });
  const ledger = createLedger({ clock });
  const payments = { provider: null as unknown as PaymentProvider, test: null as TestPaymentProvider | null };
  const wallet = createWalletService({
    db,
    dialect: database.dialect,
    clock,
    currency: config.currency,
    publicUrl: config.publicUrl,
    ledger,
    jobs,
    audit,
    notifications,
    payments: () => payments.provider,
    policies,
    logger,
    reading: database.reading,
  });
  const paymentWebhooks = createPaymentWebhooks({
    db,
    clock,
    secret: config.paymentWebhookSecret,
    ledger,
    wallet,
    audit,
    notifications,
    policies,
    logger,
  });
  Object.assign(
    payments,
    choosePaymentProvider(config, {
      db,
      clock,
      settle: (event) => paymentWebhooks.apply(config.paymentProvider, event),
      objectOf: (kind, id) => paymentWebhooks.objectOf(kind, id),
      // The same handler the webhook route calls: signature, replay window and exactly-once included.
      deliverTest: (rawBody, signature) => paymentWebhooks.handle('test', rawBody, signature),
    }),
  );
  jobs.registerRecurring(reconcilePaymentsJob(() => paymentWebhooks.reconcile(payments.provider)));
  const catalog = createCatalogService({ db, clock, currency: config.currency, audit });
  const self: AppContext['self'] = { url: `http://127.0.0.1:${config.port}`, es2Loopback: null };
  const smdpEmulator =
    config.smdp.url === null && config.demoParts.has('smdp-emulator')
      ? createSmdpEmulator({
          db,
          clock,
          config,
          logger,
          jobs,
          operatorUrl: () => self.es2Loopback ?? self.url,
        })
      : null;
  if (!config.smdp.url && !smdpEmulator)
    throw new Error('no SM-DP+ configured (SMDP_URL) and the emulator is not allowed');
  const es2 = createEs2Client({
    baseUrl: () => config.smdp.url ?? `${self.url}${EMULATOR_PREFIX}`,
    requesterId: config.smdp.requesterId,
    timeoutMs: config.smdp.timeoutMs,
    tls: config.smdp.tls && {
      cert: readFileSync(config.smdp.tls.certFile, 'utf8'),
      key: readFileSync(config.smdp.tls.keyFile, 'utf8'),
      ca: config.smdp.tls.caFile ? readFileSync(config.smdp.tls.caFile, 'utf8') : undefined,
    },
  });
  const network = createRecordingNetwork({ db, clock });
  const lines = createLinesService({
    db,
    clock,
    iccidRange: config.iccid,
    profileType: config.smdp.profileType,
    logger,
    jobs,
    audit,
    notifications,
    wallet,
    catalog,
    numbers: createNumberPool({
      clock,
      dialect: database.dialect,
      policies,
      format: config.lines,
      // With the built-in SM-DP+ (demo mode) numbers are made up when the pool runs dry.
      mint: config.demoParts.has('smdp-emulator'),
    }),
    policies,
    es2,
    network,
  });
  const usage = createUsageService({
    db,
    dialect: database.dialect,
    clock,
    currency: config.currency,
    ledger,
    catalog,
    audit,
    policies,
    jobs,
    logger,
    reading: database.reading,
  });

  const eligibility = createEligibility({ db, wallet, usage, lines });
  const cancellation = createCancellationService({
    db,
    clock,
    policies,
    jobs,
    audit,
    notifications,
    eligibility,
    identity,
    lines,
  });
  const support = createSupportService({
    db,
    dialect: database.dialect,
    clock,
    audit,
    notifications,
    policies,
  });
  const exports = createExportService({
    db,
    dialect: database.dialect,
    clock,
    config,
    writePosition: database.writePosition,
    jobs,
    audit,
    notifications,
    wallet,
    support,
    policies,
  });
  const retention = createRetention({ db, clock, logger, jobs, audit, policies });
  const customers = createCustomers({
    db,
    dialect: database.dialect,
    clock,
    currency: config.currency,
    audit,
    ledger,
    wallet,
    lines,
    usage,
    cancellation,
    support,
    notifications,
    policies,
    reading: database.reading,
  });
  const operations = createOperations({
    db,
    reading: database.reading,
    clock,
    publicUrl: config.publicUrl,
    audit,
    identity,
    notifications,
    metrics,
    jobs,
  });
  const suspension = createSuspension({ db, clock, audit, identity, network });
  const lineExtras = createLineExtras({
    db,
    clock,
    currency: config.currency,
    audit,
    wallet,
    catalog,
    network,
  });

  return {
    config,
    logger,
    clock,
    database,
    metrics,
    jobs,
    runner,
    audit,
    notifications,
    identity,
    idempotency,
    ledger,
    wallet,
    paymentWebhooks,
    payments,
    catalog,
    lines,
    lineExtras,
    es2,
    usage,
    exports,
    eligibility,
    cancellation,
    policies,
    support,
    retention,
    customers,
    operations,
    suspension,
    smdpEmulator,
    self,
    readiness: createReadinessProbe({
      db,
      clock,
      logger,
      disk:
        config.database.dialect === 'sqlite' && config.database.path !== ':memory:'
          ? { dir: path.dirname(config.database.path), minFreeMb: config.sqlite.minFreeMb }
          : null,
    }),
    lifecycle: { draining: false },
  };
}

/** Stops the runner (jobs get `graceMs` to finish, see Runner.stop) and closes the connections. */
export async function closeAppContext(ctx: AppContext, graceMs?: number): Promise<void> {
  await ctx.runner.stop(graceMs);
  ctx.notifications.close();
  await ctx.es2.close();
  await ctx.database.close();
}
