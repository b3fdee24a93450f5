import type { DB } from './schema.js';

/**
 * Which part of the code owns each table: only the owner writes it (insert, update, delete); every
 * other module goes through the owner's service. `test/ownership.test.ts` reads every source file and
 * fails on a write by anyone else; the type below fails to compile when a table of the schema has
 * no owner here.
 *
 * Owners are module folders under src/modules (`wallet`), or the shared layers `runner`, `http`,
 * `db` and an integration folder (`integrations/smdp`).
 */
export const TABLE_OWNERS = {
  accounts: 'identity',
  otp_challenges: 'identity',
  sessions: 'identity',
  sign_in_failures: 'identity',

  ledger_accounts: 'wallet',
  ledger_postings: 'wallet',
  payments: 'wallet',
  payment_events: 'wallet',
  refunds: 'wallet',
  refund_allocations: 'wallet',
  recipient_checks: 'wallet',
  test_payment_records: 'integrations/payments',

  plans: 'catalog',
  plan_countries: 'catalog',

  lines: 'lines',
  esims: 'lines',
  devices: 'lines',
  numbers: 'lines',
  addons: 'lines',
  line_addons: 'lines',
  network_preferences: 'lines',
  es2_calls: 'lines',

  usage_records: 'usage',
  usage_holds: 'usage',
  service_keys: 'usage',
  usage_record_keys: 'usage',

  cancellation_requests: 'cancellation',
  cancellation_events: 'cancellation',

  adjustments: 'backoffice',
  exports: 'exports',
  tickets: 'support',
  ticket_messages: 'support',
  messages: 'notifications',
  dev_mailbox: 'notifications',
  audit_log: 'audit',
  policies: 'policies',
  ops_heartbeat: 'ops',

  jobs: 'runner',
  idempotency_keys: 'http',
  emu_profiles: 'integrations/smdp',
  network_actions: 'integrations/network',
} as const satisfies Record<keyof DB, string>;

export type Table = keyof typeof TABLE_OWNERS;

/**
 * The columns that hold personal data (or may: free text a person wrote), per table. Each table
 * here has an erasure contributor from its owner (test/erasure.test.ts); the retention erasure runs
 * them all. Ledger postings and usage records hold no name or address and stay for their legal
 * period, detached from the person (usage records age out by USAGE_RETENTION_MONTHS).
 */
export const PERSONAL_COLUMNS: Partial<Record<Table, readonly string[]>> = {
  accounts: ['email', 'phone'],
  otp_challenges: ['target'],
  tickets: ['subject'],
  ticket_messages: ['body'],
  cancellation_requests: ['reason'],
  cancellation_events: ['note'],
  devices: ['name'],
  messages: ['to', 'subject', 'text', 'html'],
  dev_mailbox: ['to', 'subject', 'text', 'html'],
  jobs: ['payload'],
  exports: ['file'],
};
