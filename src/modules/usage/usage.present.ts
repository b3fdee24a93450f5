import type { UsageHoldsTable, UsageRecordsTable } from '../../db/schema.js';

/** Shows a counterpart number as operators do on statements: +86138****5678. */
export function maskNumber(number: string | null): string | null {
  if (!number) return null;
  return number.length <= 7 ? `${number.slice(0, 2)}***` : `${number.slice(0, 6)}****${number.slice(-4)}`;
}

export function presentUsageRecord(r: UsageRecordsTable, currency: string) {
  return {
    id: r.id,
    recordId: r.record_id,
    lineId: r.line_id,
    type: r.type,
    startedAt: r.started_at,
    durationSeconds: r.duration_seconds,
    bytes: r.bytes === null ? null : Number(r.bytes),
    counterpart: maskNumber(r.counterpart),
    direction: r.direction,
    country: r.country,
    charge: { amount: Number(r.charge), currency },
  };
}

export function presentHold(h: UsageHoldsTable, currency: string) {
  const money = (amount: number) => ({ amount, currency });
  return {
    id: h.id,
    recordId: h.record_id,
    accountId: h.account_id,
    lineId: h.line_id,
    iccid: h.iccid,
    type: h.type,
    startedAt: h.started_at,
    durationSeconds: h.duration_seconds,
    bytes: h.bytes === null ? null : Number(h.bytes),
    counterpart: maskNumber(h.counterpart),
    direction: h.direction,
    country: h.country,
    quotedCharge: money(Number(h.quoted_charge)),
    charge: h.charge === null ? null : money(Number(h.charge)),
    status: h.status,
    note: h.note,
    decidedBy: h.decided_by,
    decidedAt: h.decided_at,
    createdAt: h.created_at,
  };
}
