import type { ColumnType } from 'kysely';

/** Tables the wallet module owns: the ledger, payments, refunds and transfer-recipient checks. */

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

/** One transfer-recipient check by a subscriber, for the per-account limit (migration 0015). */
export interface RecipientChecksTable {
  id: string;
  account_id: string;
  created_at: string;
}
