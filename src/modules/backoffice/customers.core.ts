import { AppError } from '../../core/errors.js';
import type { Executor } from '../../db/database.js';
import type { AdjustmentRow } from './stores/adjustments.store.js';
import { findSubscriber } from './stores/customers.store.js';

/** The subscriber account (ACCOUNT_NOT_FOUND for a staff account or none). */
export async function subscriber(executor: Executor, accountId: string) {
  const account = await findSubscriber(executor, accountId);
  if (!account) throw new AppError('ACCOUNT_NOT_FOUND', { id: accountId });
  return account;
}

/** An adjustment as staff see it. */
export function presentAdjustment(a: AdjustmentRow) {
  return {
    id: a.id,
    accountId: a.account_id,
    kind: a.kind,
    amount: { amount: Number(a.amount), currency: a.currency },
    reason: a.reason,
    status: a.status,
    requestedBy: a.requested_by,
    decidedBy: a.decided_by,
    createdAt: a.created_at,
    decidedAt: a.decided_at,
  };
}
