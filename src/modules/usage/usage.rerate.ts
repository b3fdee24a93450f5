import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../db/database.js';
import { holdRatingLock } from '../../db/locks.js';
import type { LinesTable } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { saveRatedAllowances } from '../lines/stores/lines.store.js';
import type { UsageCharges } from './usage.charges.js';
import { MB, rate, recordOf } from './usage.rating.js';
import { addonsBoughtSince, findLine, lineRecordsSince, setRecordCharge } from './usage.store.js';

export function createUsageRerate(deps: {
  db: Db;
  clock: Clock;
  catalog: Pick<CatalogService, 'get'>;
  audit: Pick<AuditService, 'record'>;
  charges: Pick<UsageCharges, 'charge' | 'giveBack'>;
}) {
  const { db, clock } = deps;

  /**
   * Rates a line's current allowance period again from scratch: the plan's allowances from the
   * period's start, each add-on from the moment it was bought, and the records in the order they
   * happened (ingest rates them in the order they arrive, so a late record may have used allowance
   * that belonged to an earlier one). Records whose charge comes out different are corrected, the
   * line's remaining allowances are set to the result, and the difference is posted to the ledger:
   * more is charged (wallet, then arrears); less is given back (arrears first, then wallet). Rating
   * is deterministic, so a second run changes nothing. Earlier periods (before a plan change) keep
   * their charges.
   */
  async function rerate(lineId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      await holdRatingLock(tx);
      const line = await findLine(tx, lineId);
      if (!line) throw new AppError('LINE_NOT_FOUND', { field: 'line' });
      const summary = { lineId, records: 0, changed: 0, previousTotal: 0, newTotal: 0, delta: 0 };
      if (!line.activated_at) return summary;
      const plan = await deps.catalog.get(tx, line.plan_id, 'en');
      const addons = await addonsBoughtSince(tx, lineId, line.activated_at);
      const records = await lineRecordsSince(tx, lineId, line.activated_at);
      const rated: LinesTable = {
        ...line,
        data_bytes_left: plan.dataMb * MB,
        voice_seconds_left: plan.voiceMinutes * 60,
        sms_left: plan.sms,
      };
      let bought = 0;
      const buyUntil = (time: string | null) => {
        for (; bought < addons.length && (time === null || addons[bought]!.created_at <= time); bought++) {
          const addon = addons[bought]!;
          rated.data_bytes_left = Number(rated.data_bytes_left) + addon.data_mb * MB;
          rated.voice_seconds_left = Number(rated.voice_seconds_left) + addon.voice_minutes * 60;
          rated.sms_left = Number(rated.sms_left) + addon.sms;
        }
      };
      const now = clock.now().toISOString();
      for (const r of records) {
        buyUntil(r.started_at);
        const previous = Number(r.charge);
        const charge = rate(rated, plan.overage, recordOf(r));
        summary.records++;
        summary.previousTotal += previous;
        summary.newTotal += charge;
        if (charge !== previous) {
          summary.changed++;
          await setRecordCharge(tx, r, charge);
        }
      }
      buyUntil(null);
      await saveRatedAllowances(tx, rated, now);
      summary.delta = summary.newTotal - summary.previousTotal;
      const rerateId = newId('rrt', clock.now().getTime());
      if (summary.delta > 0)
        await deps.charges.charge(tx, line.account_id, summary.delta, rerateId, 'usage_rerate');
      if (summary.delta < 0) await deps.charges.giveBack(tx, line.account_id, -summary.delta, rerateId);
      await deps.audit.record(tx, {
        actor: caller.actor,
        action: 'usage.rerated',
        subject: { type: 'line', id: lineId },
        accountId: line.account_id,
        after: { ...summary, reference: rerateId },
        requestId: caller.requestId,
      });
      return summary;
    });
  }

  return { rerate };
}
