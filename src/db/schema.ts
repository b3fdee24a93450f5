import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Row types of every table, one interface per table. Times are RFC 3339 UTC strings on both
 * dialects (timestamptz on PostgreSQL, read back as ISO strings); money is integer minor units.
 */

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  status: JobStatus;
  run_at: string;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  last_error: string | null;
  idempotency_key: string | null;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export type AccountRole = 'subscriber' | 'agent' | 'reviewer' | 'admin';
export type AccountStatus = 'active' | 'suspended' | 'cancellation_pending' | 'deregistered';

export interface AccountsTable {
  id: string;
  email: string | null;
  phone: string | null;
  role: AccountRole;
  status: AccountStatus;
  locale: string;
  disabled_at: string | null;
  /** Retention: personal data erased at this time (email, phone and free text blanked). */
  erased_at: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: string;
  updated_at: string;
}

export type Channel = 'email' | 'sms';

export interface OtpChallengesTable {
  id: string;
  channel: Channel;
  target: string;
  code_hash: string;
  attempts: ColumnType<number, number | undefined, number>;
  ip: string;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

/** A wrong one-time code, for the 24-hour ceilings; the address only as a keyed hash (migration 0015). */
export interface SignInFailuresTable {
  id: string;
  target_key: string;
  /** The address that asked for the challenge's code. */
  ip: string;
  created_at: string;
}

/** One transfer-recipient check by a subscriber, for the per-account limit (migration 0015). */
export interface RecipientChecksTable {
  id: string;
  account_id: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  token_hash: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  user_agent: string | null;
}

export type MessageStatus = 'queued' | 'sent' | 'failed' | 'dead';

export interface MessagesTable {
  id: string;
  account_id: string | null;
  channel: Channel;
  to: string;
  locale: string;
  template: string;
  subject: string | null;
  text: string;
  html: string | null;
  /** 1 when the text holds a secret (a sign-in code): it is blanked once delivered. */
  sensitive: number;
  status: MessageStatus;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface DevMailboxTable {
  id: string;
  message_id: string;
  channel: Channel;
  to: string;
  locale: string;
  subject: string | null;
  text: string;
  html: string | null;
  created_at: string;
}

export type ActorType = 'account' | 'staff' | 'system';

export interface AuditLogTable {
  id: string;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  /** The account the change concerns, for the customer's trail. */
  account_id: string | null;
  before: string | null;
  after: string | null;
  request_id: string | null;
  created_at: string;
}

export type LedgerAccountKind =
  | 'wallet'
  | 'arrears'
  | 'clearing'
  | 'revenue'
  | 'refunds_payable'
  | 'adjustments'
  /** Balances subscribers gave up (forfeits, migration 0021): kept, never emptied or deleted. */
  | 'forfeited';

export interface LedgerAccountsTable {
  id: string;
  kind: LedgerAccountKind;
  owner_id: string | null;
  currency: string;
  /** Credits minus debits; kept in the same transaction as every posting. */
  balance: ColumnType<number, number | undefined, number>;
  created_at: string;
  updated_at: string;
}

export interface LedgerPostingsTable {
  id: string;
  debit_id: string;
  credit_id: string;
  amount: number;
  currency: string;
  kind: string;
  reference_type: string | null;
  reference_id: string | null;
  debit_balance_after: number;
  credit_balance_after: number;
  memo: string | null;
  created_at: string;
}

export type PaymentStatus = 'pending' | 'succeeded' | 'failed';

export interface PaymentsTable {
  id: string;
  account_id: string;
  provider: string;
  provider_ref: string | null;
  amount: number;
  currency: string;
  refunded: ColumnType<number, number | undefined, number>;
  status: PaymentStatus;
  request_key: string | null;
  failure: string | null;
  created_at: string;
  updated_at: string;
}

export interface RefundsTable {
  id: string;
  account_id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  provider_ref: string | null;
  failure: string | null;
  created_at: string;
  updated_at: string;
}

export interface RefundAllocationsTable {
  refund_id: string;
  payment_id: string;
  amount: number;
}

export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  type: string;
  object_id: string;
  outcome: string;
  received_at: string;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status: 'in_progress' | 'done';
  response_status: number | null;
  response_body: string | null;
  locked_until: string;
  /** Who holds the claim (migration 0018): only that request may store the answer. */
  claim_token: string | null;
  created_at: string;
}

/** What the built-in test payment provider sent (migration 0018): its own record, kept across restarts. */
export interface TestPaymentRecordsTable {
  object_id: string;
  kind: 'payment' | 'refund';
  provider_ref: string;
  status: 'pending' | 'settled';
  /** The settling event (JSON) once settled. */
  event: string | null;
  created_at: string;
  updated_at: string;
}

export interface PlansTable {
  id: string;
  code: string;
  /** JSON: { "en": "...", "zh-CN": "..." } */
  names: string;
  region: string | null;
  data_mb: number;
  voice_minutes: number;
  sms: number;
  validity_days: number;
  price: number;
  currency: string;
  /** JSON: out-of-bundle rates in minor units { dataPerMb, voicePerMinute, smsEach } */
  overage: string;
  status: 'active' | 'retired';
  created_at: string;
  updated_at: string;
}

export interface PlanCountriesTable {
  plan_id: string;
  country: string;
}

export interface NumbersTable {
  msisdn: string;
  status: 'available' | 'assigned' | 'quarantined';
  line_id: string | null;
  /** A quarantined number becomes assignable again from this time. */
  available_from: string;
  updated_at: string;
}

export type LineStatus = 'pending' | 'active' | 'expired' | 'failed' | 'suspended' | 'terminated';

export interface LinesTable {
  id: string;
  account_id: string;
  plan_id: string;
  msisdn: string;
  status: LineStatus;
  price: number;
  currency: string;
  data_bytes_left: number | null;
  voice_seconds_left: number | null;
  sms_left: number | null;
  activated_at: string | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export type EsimState =
  | 'ordering'
  | 'allocated'
  | 'released'
  | 'downloaded'
  | 'installed'
  | 'disabling'
  | 'unusable'
  | 'failed';

export interface EsimsTable {
  id: string;
  line_id: string;
  account_id: string;
  iccid: string | null;
  state: EsimState;
  matching_id: string | null;
  activation_code: string | null;
  eid: string | null;
  failure: string | null;
  /** Set when this profile moves the line to a new phone: the old profile ends once this one is installed. */
  replaces_esim_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface DevicesTable {
  id: string;
  account_id: string;
  line_id: string;
  esim_id: string;
  eid: string;
  name: string;
  bound_at: string;
  unbound_at: string | null;
}

export type Es2CallOutcome = 'pending' | 'bound' | 'recorded' | 'duplicate' | 'ignored' | 'refused';

/** An ES2+ notification from the SM-DP+, by its functionCallIdentifier (migration 0013): a repeat gets the same answer. */
export interface Es2CallsTable {
  requester: string;
  call_id: string;
  function: string;
  /** Who the listener authenticated: the client certificate, or the proxy that vouched for it. */
  peer: string;
  iccid: string | null;
  point: number | null;
  outcome: Es2CallOutcome;
  /** The ES2+ status code of a refusal. */
  subject_code: string | null;
  reason_code: string | null;
  subject_identifier: string | null;
  message: string | null;
  received_at: string;
}

export interface NetworkActionsTable {
  id: string;
  /** The ICCID (deactivation) or MSISDN (network steering) the action is about. */
  subject: string;
  action: string;
  detail: string | null;
  created_at: string;
}

export interface EmuProfilesTable {
  iccid: string;
  profile_type: string;
  state:
    | 'available'
    | 'allocated'
    | 'linked'
    | 'confirmed'
    | 'released'
    | 'downloaded'
    | 'installed'
    | 'unavailable';
  eid: string | null;
  matching_id: string | null;
  updated_at: string;
}

export interface NetworkPreferencesTable {
  line_id: string;
  country: string;
  /** MCC + MNC of the preferred partner network. */
  plmn: string;
  updated_at: string;
}

export interface AddonsTable {
  id: string;
  code: string;
  names: string;
  data_mb: number;
  voice_minutes: number;
  sms: number;
  price: number;
  currency: string;
  status: 'active' | 'retired';
  created_at: string;
}

export interface LineAddonsTable {
  id: string;
  line_id: string;
  addon_id: string;
  price: number;
  created_at: string;
}

export interface ServiceKeysTable {
  id: string;
  name: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export type UsageType = 'voice' | 'sms' | 'data';

export interface UsageRecordsTable {
  id: string;
  /** The mediation system's id: a record is counted once, however often it is sent. */
  record_id: string;
  account_id: string;
  line_id: string;
  iccid: string;
  type: UsageType;
  started_at: string;
  duration_seconds: number | null;
  bytes: number | null;
  counterpart: string | null;
  direction: 'in' | 'out' | null;
  country: string;
  /** What the record cost beyond the allowances, in minor units (0 when covered). */
  charge: number;
  created_at: string;
}

/**
 * PostgreSQL only (migration 0022): the mediation system's id of every record in usage_records,
 * unique across all months (the partitioned table's own keys must contain started_at).
 */
export interface UsageRecordKeysTable {
  record_id: string;
}

export type UsageHoldStatus = 'held' | 'approved' | 'rejected';

/** A usage record charging more than the policy's ceiling, waiting for staff (migration 0016). */
export interface UsageHoldsTable {
  id: string;
  record_id: string;
  account_id: string;
  line_id: string;
  iccid: string;
  type: UsageType;
  started_at: string;
  duration_seconds: number | null;
  bytes: number | null;
  counterpart: string | null;
  direction: 'in' | 'out' | null;
  country: string;
  /** What rating said it would cost when it arrived (minor units). */
  quoted_charge: number;
  /** What was posted when it was approved (rated then), null until then. */
  charge: number | null;
  status: UsageHoldStatus;
  /** The usage_records row written when it was approved. */
  usage_id: string | null;
  note: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

/** The row /readyz writes to prove the database takes writes (migration 0017). */
export interface OpsHeartbeatTable {
  id: string;
  beat_at: string;
}

export interface ExportsTable {
  id: string;
  account_id: string;
  status: 'pending' | 'ready' | 'failed';
  file: string | null;
  size: number | null;
  error: string | null;
  created_at: string;
  ready_at: string | null;
}

export type CancellationStatus =
  | 'submitted'
  | 'in_review'
  | 'info_requested'
  | 'approved'
  | 'completed'
  | 'rejected'
  | 'withdrawn';

export interface CancellationRequestsTable {
  id: string;
  account_id: string;
  status: CancellationStatus;
  reason_code: string | null;
  reason: string | null;
  submitted_at: string;
  due_by: string;
  /** JSON: the automatic checks, when they ran and what they found. */
  checks: string | null;
  /** Bumped by every transition: a decision on a stale version is refused (REQUEST_CHANGED). */
  version: ColumnType<number, number | undefined, number>;
  updated_at: string;
}

export interface CancellationEventsTable {
  id: string;
  request_id: string;
  status: CancellationStatus;
  note: string | null;
  actor_type: ActorType;
  actor_id: string | null;
  at: string;
}

export type TicketStatus = 'open' | 'waiting_on_customer' | 'closed';
export type TicketCategory = 'general' | 'cancellation' | 'billing' | 'esim' | 'usage' | 'lost_or_stolen';

export interface TicketsTable {
  id: string;
  account_id: string;
  subject: string;
  category: TicketCategory;
  /** What the ticket is about, when opened from somewhere specific (a line, payment, cancellation request). */
  related_type: string | null;
  related_id: string | null;
  status: TicketStatus;
  assignee_id: string | null;
  first_response_at: string | null;
  last_message_at: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface TicketMessagesTable {
  id: string;
  ticket_id: string;
  author_type: 'subscriber' | 'staff' | 'system';
  author_id: string | null;
  body: string;
  /** 1: a note between staff, never shown to the subscriber. */
  internal: ColumnType<number, number | undefined, number>;
  created_at: string;
}

export interface PoliciesTable {
  key: string;
  /** JSON */
  value: string;
  updated_by: string | null;
  updated_at: string;
}

export type AdjustmentStatus = 'pending_approval' | 'posted' | 'rejected';
/** Goodwill credits the wallet; a write-off debits it; a waiver cancels arrears (migration 0021). */
export type AdjustmentKind = 'goodwill' | 'write_off' | 'arrears_waiver';

export interface AdjustmentsTable {
  id: string;
  account_id: string;
  /** Minor units, always positive; `direction` of the money is in the posting (credit to the wallet). */
  amount: number;
  currency: string;
  reason: string;
  status: AdjustmentStatus;
  kind: ColumnType<AdjustmentKind, AdjustmentKind | undefined, AdjustmentKind>;
  requested_by: string;
  decided_by: string | null;
  created_at: string;
  decided_at: string | null;
}

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
