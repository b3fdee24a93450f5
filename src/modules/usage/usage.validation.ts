import { hasUnsafeText } from '../../core/text.js';
import type { UsageType } from '../../db/schema.js';
import { normalizeIccid } from '../../telecom/iccid.js';
import { countryCode } from '../catalog/countries.js';

export const MAX_BATCH = 10_000;
/** No single call lasts more than a day: mediation closes long calls with interim records. */
export const MAX_DURATION_SECONDS = 86_400;
/** How far ahead of this server's clock a mediation system's clock may run. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** What a record may be, from the policies in force and the time now. */
export interface Bounds {
  maxBytes: number;
  /** Latest plausible end of a record (ms since the epoch): now plus the clock skew allowed. */
  latest: number;
  /** The earliest start kept (ISO): the first month of the usage retention period. */
  earliest: string;
}

export type Rejection = { code: string; field?: string };

export interface ValidRecord {
  recordId: string;
  iccid: string;
  type: UsageType;
  startedAt: string;
  durationSeconds: number | null;
  bytes: number | null;
  counterpart: string | null;
  direction: 'in' | 'out' | null;
  country: string;
}

/**
 * A batch holds thousands of records for a few lines and countries: each distinct ICCID and country
 * is checked (Luhn, ISO 3166) once per batch.
 */
export interface BatchMemo {
  iccids: Map<string, string | null>;
  countries: Map<string, string | null>;
}

function memoized(cache: Map<string, string | null>, raw: string, check: (raw: string) => string | null) {
  let value = cache.get(raw);
  if (value === undefined) {
    value = check(raw);
    cache.set(raw, value);
  }
  return value;
}

function countryOrNull(raw: string): string | null {
  try {
    return countryCode(raw);
  } catch {
    return null;
  }
}

const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// The form mediation systems send and esimdesk stores; a time in it needs no reformatting.
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Whether Date.parse reads the time as written: it rolls 2026-02-30 over to 2 March, T24:00 to the next day. */
function keepsItsForm(value: string): boolean {
  if (!CANONICAL_TIME.test(value)) return false;
  const day = (value.charCodeAt(8) - 48) * 10 + value.charCodeAt(9) - 48;
  const hour = (value.charCodeAt(11) - 48) * 10 + value.charCodeAt(12) - 48;
  return day <= 28 && hour <= 23;
}

/** The instant as stored (ISO 8601 UTC, milliseconds), or null if it is not a time. */
function instant(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  return keepsItsForm(value) ? value : new Date(ms).toISOString();
}

/** The fields a usage record may have (API.md); a record with any other is refused, naming it. */
export const RECORD_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'iccid',
  'type',
  'startedAt',
  'durationSeconds',
  'bytes',
  'counterpart',
  'direction',
  'country',
]);

export function validate(raw: unknown, memo: BatchMemo, bounds: Bounds): ValidRecord | Rejection {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { code: 'INVALID_RECORD' };
  const r = raw as Record<string, unknown>;
  // Closed like every other object the API takes: a misspelt field ("byte") is an error, not ignored.
  for (const field in r)
    if (!RECORD_FIELDS.has(field)) return { code: 'INVALID_RECORD', field: field.slice(0, 64) };
  if (typeof r.id !== 'string' || r.id === '' || r.id.length > 128 || hasUnsafeText(r.id))
    return { code: 'INVALID_RECORD', field: 'id' };
  const iccid = typeof r.iccid === 'string' ? memoized(memo.iccids, r.iccid, normalizeIccid) : null;
  if (!iccid) return { code: 'INVALID_RECORD', field: 'iccid' };
  if (r.type !== 'voice' && r.type !== 'sms' && r.type !== 'data')
    return { code: 'INVALID_RECORD', field: 'type' };
  const startedAt = instant(r.startedAt);
  if (!startedAt) return { code: 'INVALID_RECORD', field: 'startedAt' };
  if (r.type === 'voice' && !whole(r.durationSeconds))
    return { code: 'INVALID_RECORD', field: 'durationSeconds' };
  if (r.type === 'data' && !whole(r.bytes)) return { code: 'INVALID_RECORD', field: 'bytes' };
  if (r.type === 'voice' && (r.durationSeconds as number) > MAX_DURATION_SECONDS)
    return { code: 'DURATION_TOO_LONG', field: 'durationSeconds' };
  if (r.type === 'data' && (r.bytes as number) > bounds.maxBytes)
    return { code: 'BYTES_TOO_LARGE', field: 'bytes' };
  const start = Date.parse(startedAt);
  if (start > bounds.latest) return { code: 'STARTED_IN_FUTURE', field: 'startedAt' };
  // Retention would remove it at once (and has removed what it could be a duplicate of).
  if (startedAt < bounds.earliest) return { code: 'STARTED_BEFORE_RETENTION', field: 'startedAt' };
  if (r.type === 'voice' && start + (r.durationSeconds as number) * 1000 > bounds.latest)
    return { code: 'ENDS_IN_FUTURE', field: 'durationSeconds' };
  if (r.direction !== undefined && r.direction !== 'in' && r.direction !== 'out')
    return { code: 'INVALID_RECORD', field: 'direction' };
  if (
    r.counterpart !== undefined &&
    (typeof r.counterpart !== 'string' || r.counterpart.length > 32 || hasUnsafeText(r.counterpart))
  ) {
    return { code: 'INVALID_RECORD', field: 'counterpart' };
  }
  const country = memoized(memo.countries, String(r.country ?? ''), countryOrNull);
  if (!country) return { code: 'INVALID_COUNTRY', field: 'country' };
  return {
    recordId: r.id,
    iccid,
    type: r.type,
    startedAt,
    durationSeconds: r.type === 'voice' ? (r.durationSeconds as number) : null,
    bytes: r.type === 'data' ? (r.bytes as number) : null,
    counterpart: (r.counterpart as string | undefined) ?? null,
    direction: (r.direction as 'in' | 'out' | undefined) ?? null,
    country,
  };
}
