/** The audit trail (owned by the audit module). */

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
