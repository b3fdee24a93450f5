/** Tables the usage module owns: mediation's service keys, usage records and held records. */

export interface ServiceKeysTable {
  id: string;
  name: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export type UsageType = 'voice' | 'sms' | 'data';

/** What mediation says about one call, message or data session: a record and a held record alike. */
interface UsageEventColumns {
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
}

export interface UsageRecordsTable extends UsageEventColumns {
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
export interface UsageHoldsTable extends UsageEventColumns {
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
