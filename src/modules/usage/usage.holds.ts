import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Dialect } from '../../db/database.js';
import { holdRatingLock } from '../../db/locks.js';
import type { UsageHoldStatus } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { lineById } from '../lines/stores/lines.store.js';
import type { UsageCharges } from './usage.charges.js';
import { presentHold } from './usage.present.js';
import { rate, recordOf, usageRow } from './usage.rating.js';
import { addUsageRecords, decideHeld, findHold, getHold, holdsPage } from './usage.store.js';

/** Usage records held for staff review (over the policy's charge ceiling), and staff's decisions. */
export function createUsageHolds(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  currency: string;
  catalog: Pick<CatalogService, 'get'>;
  audit: Pick<AuditService, 'record'>;
  charges: Pick<UsageCharges, 'settle'>;
}) {
  const { db, clock } = deps;

  /** Held usage records for the staff console, oldest first (the queue order). */
  async function holds(filter: { status?: UsageHoldStatus; cursor?: string; limit: number }) {
    const rows = await holdsPage(db, {
      status: filter.status ?? 'held',
      after: decodeCursor(filter.cursor),
      limit: filter.limit,
    });
    const result = page(rows, filter.limit);
    return { items: result.items.map((h) => presentHold(h, deps.currency)), nextCursor: result.nextCursor };
  }

  /**
   * Staff decide a held record. Approving rates it now (against the line's allowances and plan as they
   * are) and posts it: a usage record and the charge, wallet first then arrears, exactly once — the
   * hold leaves `held` in the same transaction, and a second decision finds it decided. Rejecting
   * charges nothing. Both are audited.
   */
  async function decideHold(
    id: string,
    { decision, note }: { decision: 'approve' | 'reject'; note?: string },
    caller: Caller,
  ) {
    return db.transaction().execute(async (tx) => {
      await holdRatingLock(tx);
      const held = await findHold(tx, id);
      if (!held) throw new AppError('USAGE_HOLD_NOT_FOUND', { field: 'id' });
      if (held.status !== 'held')
        throw new AppError('INVALID_TRANSITION', { status: held.status, to: decision });
      const now = clock.now();
      const decided = {
        decided_by: caller.actor.id,
        decided_at: now.toISOString(),
        note: note?.trim() || null,
      };
      if (decision === 'reject') {
        await decideHeld(tx, id, { ...decided, status: 'rejected' });
      } else {
        // Rated and posted as ingest would have, with the line's allowances and plan as they are now.
        const line = await lineById(tx, held.line_id);
        const overage = (await deps.catalog.get(tx, line.plan_id, 'en')).overage;
        const record = recordOf(held);
        const row = usageRow(record, line, rate(line, overage, record), now);
        await addUsageRecords(tx, deps.dialect, [row]);
        await deps.charges.settle(tx, [line], [row], now);
        await decideHeld(tx, id, { ...decided, status: 'approved', charge: row.charge, usage_id: row.id });
      }
      const after = await getHold(tx, id);
      await deps.audit.record(tx, {
        actor: caller.actor,
        action: decision === 'approve' ? 'usage.hold_approved' : 'usage.hold_rejected',
        subject: { type: 'usage_hold', id },
        accountId: held.account_id,
        before: { status: 'held', quotedCharge: Number(held.quoted_charge) },
        after: {
          status: after.status,
          charge: after.charge === null ? null : Number(after.charge),
          usageId: after.usage_id,
          note: after.note,
        },
        requestId: caller.requestId,
      });
      return presentHold(after, deps.currency);
    });
  }

  return { holds, decideHold };
}
