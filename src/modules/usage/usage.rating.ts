import { newId } from '../../core/ids.js';
import type { LinesTable, UsageHoldsTable, UsageRecordsTable } from '../../db/schema.js';
import type { ValidRecord } from './usage.validation.js';

export const MB = 1024 * 1024;

/** A plan's out-of-bundle rates, in minor units. */
export type Overage = { dataPerMb: number; voicePerMinute: number; smsEach: number };

/** Consumes allowances in place and returns the out-of-bundle charge (minor units) of one record. */
export function rate(line: LinesTable, overage: Overage, r: ValidRecord): number {
  if (r.type === 'data') {
    const left = Number(line.data_bytes_left ?? 0);
    const covered = Math.min(left, r.bytes!);
    line.data_bytes_left = left - covered;
    return Math.ceil((r.bytes! - covered) / MB) * overage.dataPerMb;
  }
  if (r.type === 'voice') {
    const minutes = Math.ceil(r.durationSeconds! / 60);
    const left = Number(line.voice_seconds_left ?? 0);
    const coveredMinutes = Math.min(Math.floor(left / 60), minutes);
    line.voice_seconds_left = left - coveredMinutes * 60;
    return (minutes - coveredMinutes) * overage.voicePerMinute;
  }
  if (r.direction === 'in') return 0;
  const left = line.sms_left ?? 0;
  if (left > 0) {
    line.sms_left = left - 1;
    return 0;
  }
  return overage.smsEach;
}

export function allowancesOf(line: LinesTable) {
  const { data_bytes_left, voice_seconds_left, sms_left } = line;
  return { data_bytes_left, voice_seconds_left, sms_left };
}

/** A stored record (posted or held) as rating reads it. */
export function recordOf(row: UsageRecordsTable | UsageHoldsTable): ValidRecord {
  return {
    recordId: row.record_id,
    iccid: row.iccid,
    type: row.type,
    startedAt: row.started_at,
    durationSeconds: row.duration_seconds,
    bytes: row.bytes === null ? null : Number(row.bytes),
    counterpart: row.counterpart,
    direction: row.direction,
    country: row.country,
  };
}

/** The columns a posted or held record keeps of the mediation record and the line it was rated on. */
function recordColumns(record: ValidRecord, line: LinesTable) {
  return {
    record_id: record.recordId,
    account_id: line.account_id,
    line_id: line.id,
    iccid: record.iccid,
    type: record.type,
    started_at: record.startedAt,
    duration_seconds: record.durationSeconds,
    bytes: record.bytes,
    counterpart: record.counterpart,
    direction: record.direction,
    country: record.country,
  };
}

/** The usage record posted for a rated record on `line`. */
export function usageRow(
  record: ValidRecord,
  line: LinesTable,
  charge: number,
  now: Date,
): UsageRecordsTable {
  return {
    id: newId('usg', now.getTime()),
    ...recordColumns(record, line),
    charge,
    created_at: now.toISOString(),
  };
}

/** A record held for staff review instead of posted, with the charge it was quoted. */
export function holdRow(record: ValidRecord, line: LinesTable, quoted: number, now: Date): UsageHoldsTable {
  return {
    id: newId('uhd', now.getTime()),
    ...recordColumns(record, line),
    quoted_charge: quoted,
    charge: null,
    status: 'held',
    usage_id: null,
    note: null,
    decided_by: null,
    decided_at: null,
    created_at: now.toISOString(),
  };
}
