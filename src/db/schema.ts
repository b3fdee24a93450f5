import type { Insertable, Selectable, Updateable } from 'kysely';
import type { AuditLogTable } from './tables/audit.js';
import type { AdjustmentsTable } from './tables/backoffice.js';
import type { CancellationEventsTable, CancellationRequestsTable } from './tables/cancellation.js';
import type { PlanCountriesTable, PlansTable } from './tables/catalog.js';
import type { ExportsTable } from './tables/exports.js';
import type {
  AccountsTable,
  OtpChallengesTable,
  SessionsTable,
  SignInFailuresTable,
} from './tables/identity.js';
import type {
  AddonsTable,
  DevicesTable,
  Es2CallsTable,
  EsimsTable,
  LineAddonsTable,
  LinesTable,
  NetworkPreferencesTable,
  NumbersTable,
} from './tables/lines.js';
import type { DevMailboxTable, MessagesTable } from './tables/notifications.js';
import type {
  EmuProfilesTable,
  IdempotencyKeysTable,
  JobsTable,
  NetworkActionsTable,
  OpsHeartbeatTable,
  PoliciesTable,
  TestPaymentRecordsTable,
} from './tables/platform.js';
import type { TicketMessagesTable, TicketsTable } from './tables/support.js';
import type {
  ServiceKeysTable,
  UsageHoldsTable,
  UsageRecordKeysTable,
  UsageRecordsTable,
} from './tables/usage.js';
import type {
  LedgerAccountsTable,
  LedgerPostingsTable,
  PaymentEventsTable,
  PaymentsTable,
  RecipientChecksTable,
  RefundAllocationsTable,
  RefundsTable,
} from './tables/wallet.js';

/**
 * Row types of every table: each module's tables in src/db/tables/<owner>.ts (owners as in
 * ownership.ts), composed here into the database Kysely types. Times are RFC 3339 UTC strings on
 * both dialects (timestamptz on PostgreSQL, read back as ISO strings); money is integer minor units.
 */

export type * from './tables/audit.js';
export type * from './tables/backoffice.js';
export type * from './tables/cancellation.js';
export type * from './tables/catalog.js';
export type * from './tables/exports.js';
export type * from './tables/identity.js';
export type * from './tables/lines.js';
export type * from './tables/notifications.js';
export type * from './tables/platform.js';
export type * from './tables/support.js';
export type * from './tables/usage.js';
export type * from './tables/wallet.js';

export interface DB {
  tickets: TicketsTable;
  ticket_messages: TicketMessagesTable;
  policies: PoliciesTable;
  adjustments: AdjustmentsTable;
  cancellation_requests: CancellationRequestsTable;
  cancellation_events: CancellationEventsTable;
  exports: ExportsTable;
  service_keys: ServiceKeysTable;
  usage_records: UsageRecordsTable;
  usage_holds: UsageHoldsTable;
  usage_record_keys: UsageRecordKeysTable;
  network_preferences: NetworkPreferencesTable;
  addons: AddonsTable;
  line_addons: LineAddonsTable;
  numbers: NumbersTable;
  lines: LinesTable;
  esims: EsimsTable;
  devices: DevicesTable;
  es2_calls: Es2CallsTable;
  network_actions: NetworkActionsTable;
  emu_profiles: EmuProfilesTable;
  plans: PlansTable;
  plan_countries: PlanCountriesTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_postings: LedgerPostingsTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  refund_allocations: RefundAllocationsTable;
  payment_events: PaymentEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  test_payment_records: TestPaymentRecordsTable;
  jobs: JobsTable;
  accounts: AccountsTable;
  otp_challenges: OtpChallengesTable;
  sign_in_failures: SignInFailuresTable;
  recipient_checks: RecipientChecksTable;
  sessions: SessionsTable;
  messages: MessagesTable;
  dev_mailbox: DevMailboxTable;
  ops_heartbeat: OpsHeartbeatTable;
  audit_log: AuditLogTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type AuditRow = Selectable<AuditLogTable>;

export type JobRow = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type JobUpdate = Updateable<JobsTable>;
