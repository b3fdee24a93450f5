import { Type } from 'typebox';
import { Nullable } from '../../core/schemas.js';

/**
 * An audit entry's `before` or `after`: the state a change left behind, as the code that made it
 * recorded it. Open on purpose: each of the many actions records its own shape (a policy's values,
 * a line's status, an adjustment's amount), and the trail keeps old entries as they were written.
 */
export const AuditSnapshot = Type.Unknown({
  description: 'What changed, as recorded: any JSON (each action records its own shape), or null',
});

/** One entry of the audit trail as staff read it (the trail itself and the customer 360). */
export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  actor: Type.Object({
    type: Type.String(),
    id: Nullable(Type.String()),
    email: Nullable(Type.String({ description: 'A staff member, by email address' })),
  }),
  action: Type.String(),
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  accountId: Nullable(Type.String()),
  before: AuditSnapshot,
  after: AuditSnapshot,
  requestId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});
