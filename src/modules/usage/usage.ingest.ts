import type { Clock } from '../../core/clock.js';
import type { Db, Dialect, Tx } from '../../db/database.js';
import { holdRatingLock } from '../../db/locks.js';
import type { LinesTable, UsageHoldsTable, UsageRecordsTable } from '../../db/schema.js';
import { type AuditService, SYSTEM } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { UsageCharges } from './usage.charges.js';
import { firstMonthKept, monthStart } from './usage.partitions.js';
import { allowancesOf, holdRow, type Overage, rate, usageRow } from './usage.rating.js';
import { addUsageRecords, countedRecordIds, insertHolds, linesByIccids } from './usage.store.js';
import {
  type BatchMemo,
  type Bounds,
  CLOCK_SKEW_MS,
  type ValidRecord,
  validate,
} from './usage.validation.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; code: string; field?: string }>;
  /** Records charging more than the policy's ceiling: kept for staff review, not posted (yet). */
  held: Array<{ index: number; id: string }>;
}

export function createUsageIngest(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  catalog: Pick<CatalogService, 'get'>;
  audit: Pick<AuditService, 'record'>;
  policies: Pick<PolicyService, 'get'>;
  charges: Pick<UsageCharges, 'settle'>;
}) {
  const { db, clock } = deps;

  /**
   * Takes a batch of mediation records: each is validated, counted once (by its id), rated against the
   * line's allowances, and charged beyond them at the plan's out-of-bundle rates — from the wallet, and
   * to the subscriber's arrears for what the wallet cannot cover. One bad record never sinks the batch.
   * Implausible records (a call over a day, more bytes than the policy's ceiling, a time in the future
   * or outside the line's life) are rejected; one that would charge more than the policy's ceiling is
   * held for staff review (decideHold) instead of posted.
   */
  async function ingest(records: unknown[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, rejected: [], held: [] };
    const valid: Array<{ index: number; record: ValidRecord }> = [];
    const memo: BatchMemo = { iccids: new Map(), countries: new Map() };
    const policy = await deps.policies.get();
    const bounds: Bounds = {
      maxBytes: policy.usageMaxBytesPerRecord,
      latest: clock.now().getTime() + CLOCK_SKEW_MS,
      earliest: monthStart(firstMonthKept(clock.now(), policy.usageRetentionMonths)),
    };
    records.forEach((raw, index) => {
      const v = validate(raw, memo, bounds);
      if ('code' in v) result.rejected.push({ index, ...v });
      else valid.push({ index, record: v });
    });
    if (valid.length === 0) return result;

    await db.transaction().execute(async (tx) => {
      // Ingest batches are rated one at a time, so allowances are consumed in a single, repeatable order.
      await holdRatingLock(tx);
      const seen = await countedRecordIds(
        tx,
        deps.dialect,
        valid.map((v) => v.record.recordId),
      );
      const lines = await linesFor(tx, [...new Set(valid.map((v) => v.record.iccid))]);
      const rows: UsageRecordsTable[] = [];
      const holds: UsageHoldsTable[] = [];
      const touched = new Set<LinesTable>();
      const now = clock.now();
      for (const { index, record } of valid) {
        if (seen.has(record.recordId)) {
          result.duplicates++;
          continue;
        }
        const target = lines.get(record.iccid);
        if (!target) {
          result.rejected.push({ index, code: 'UNKNOWN_ICCID', field: 'iccid' });
          continue;
        }
        // Both are ISO 8601 UTC strings of one format, so they compare as the times they stand for.
        const expired = target.line.expires_at !== null && target.line.expires_at <= record.startedAt;
        const from = target.line.activated_at ?? target.line.created_at;
        if (target.line.status !== 'active' || expired || record.startedAt < from) {
          result.rejected.push({ index, code: 'LINE_NOT_ACTIVE', field: 'iccid' });
          continue;
        }
        seen.add(record.recordId);
        const left = allowancesOf(target.line);
        const charge = rate(target.line, target.overage, record);
        if (charge > policy.usageHoldAboveMinor) {
          // Not posted: the allowances it would have used stay for the records that follow.
          Object.assign(target.line, left);
          const hold = holdRow(record, target.line, charge, now);
          holds.push(hold);
          result.held.push({ index, id: hold.id });
          continue;
        }
        touched.add(target.line);
        rows.push(usageRow(record, target.line, charge, now));
      }
      await addUsageRecords(tx, deps.dialect, rows);
      if (holds.length) await hold(tx, holds);
      await deps.charges.settle(tx, touched, rows, now);
      result.accepted = rows.length;
    });
    result.rejected.sort((a, b) => a.index - b.index);
    return result;
  }

  async function hold(tx: Tx, rows: UsageHoldsTable[]) {
    await insertHolds(tx, rows);
    for (const row of rows) {
      await deps.audit.record(tx, {
        actor: SYSTEM,
        action: 'usage.held',
        subject: { type: 'usage_hold', id: row.id },
        accountId: row.account_id,
        after: { recordId: row.record_id, lineId: row.line_id, quotedCharge: row.quoted_charge },
      });
    }
  }

  /** The line of each ICCID, with its plan's out-of-bundle rates; one object per line (shared allowances). */
  async function linesFor(tx: Tx, iccids: string[]) {
    const map = new Map<string, { line: LinesTable; overage: Overage }>();
    const overages = new Map<string, Overage>();
    for (let i = 0; i < iccids.length; i += 500) {
      const rows = await linesByIccids(tx, iccids.slice(i, i + 500));
      const byId = new Map<string, LinesTable>();
      for (const row of rows) {
        const { esim_iccid, ...line } = row;
        const shared = byId.get(line.id) ?? line;
        byId.set(line.id, shared);
        if (!overages.has(line.plan_id))
          overages.set(line.plan_id, (await deps.catalog.get(tx, line.plan_id, 'en')).overage);
        map.set(esim_iccid!, { line: shared, overage: overages.get(line.plan_id)! });
      }
    }
    return map;
  }

  return { ingest };
}
