import type { ColumnType } from 'kysely';

/** Balance adjustments (owned by the backoffice module). */

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
