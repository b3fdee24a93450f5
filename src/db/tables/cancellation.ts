import type { ColumnType } from 'kysely';
import type { ActorType } from './audit.js';

/** Tables the cancellation module owns: requests and their events. */

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
