import type { ColumnType } from 'kysely';

/**
 * Tables of the shared layers (runner: jobs, http: idempotency_keys, the payment, SM-DP+ and network
 * integrations' own records) and of the one-table modules ops and policies.
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

export interface NetworkActionsTable {
  id: string;
  /** The ICCID (deactivation) or MSISDN (network steering) the action is about. */
  subject: string;
  action: string;
  detail: string | null;
  created_at: string;
}

/** The row /readyz writes to prove the database takes writes (migration 0017). */
export interface OpsHeartbeatTable {
  id: string;
  beat_at: string;
}

export interface PoliciesTable {
  key: string;
  /** JSON */
  value: string;
  updated_by: string | null;
  updated_at: string;
}
