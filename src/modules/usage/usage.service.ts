import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Dialect, Tx } from '../../db/database.js';
import { bulkInsert, preparedList } from '../../db/prepared.js';
import type {
  LinesTable,
  UsageHoldStatus,
  UsageHoldsTable,
  UsageRecordsTable,
  UsageType,
} from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import { normalizeIccid } from '../../telecom/iccid.js';
import { type Actor, type AuditService, SYSTEM } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { countryCode } from '../catalog/countries.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Ledger, ledgerAccountId } from '../wallet/ledger.js';
import { createUsagePartitions, firstMonthKept, monthStart } from './usage.partitions.js';
import { decodeUsageCursor, encodeUsageCursor, usageListQuery } from './usage.store.js';

export const MAX_BATCH = 10_000;
/** No single call lasts more than a day: mediation closes long calls with interim records. */
export const MAX_DURATION_SECONDS = 86_400;
/** How far ahead of this server's clock a mediation system's clock may run. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MB = 1024 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; code: string; field?: string }>;
  /** Records charging more than the policy's ceiling: kept for staff review, not posted (yet). */
  held: Array<{ index: number; id: string }>;
}

/** What a record may be, from the policies in force and the time now. */
interface Bounds {
  maxBytes: number;
  /** Latest plausible end of a record (ms since the epoch): now plus the clock skew allowed. */
  latest: number;
  /** The earliest start kept (ISO): the first month of the usage retention period. */
  earliest: string;
}

type Rejection = { code: string; field?: string };

interface ValidRecord {
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
interface BatchMemo {
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

function validate(raw: unknown, memo: BatchMemo, bounds: Bounds): ValidRecord | Rejection {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { code: 'INVALID_RECORD' };
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id === '' || r.id.length > 128)
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
  if (r.counterpart !== undefined && (typeof r.counterpart !== 'string' || r.counterpart.length > 32)) {
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

/** Shows a counterpart number as operators do on statements: +86138****5678. */
export function maskNumber(number: string | null): string | null {
  if (!number) return null;
  return number.length <= 7 ? `${number.slice(0, 2)}***` : `${number.slice(0, 6)}****${number.slice(-4)}`;
}

const DEDUPE_CHUNK = 500;
const knownRecordIds = preparedList(DEDUPE_CHUNK, (executor, ids) =>
  executor.selectFrom('usage_records').select('record_id').where('record_id', 'in', ids),
);
const heldRecordIds = preparedList(DEDUPE_CHUNK, (executor, ids) =>
  executor.selectFrom('usage_holds').select('record_id').where('record_id', 'in', ids),
);

/**
 * The record ids among `ids` already counted: posted or held. On PostgreSQL the posted ones are in
 * usage_record_keys (usage_records is partitioned by month, so its own keys include started_at): one
 * lookup of the whole batch there, whatever the number of months.
 */
async function countedRecordIds(tx: Tx, dialect: Dialect, ids: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  if (dialect === 'postgres') {
    const { rows } = await sql<{ record_id: string }>`
      select record_id from usage_record_keys where record_id = any(${ids}::text[])
      union all select record_id from usage_holds where record_id = any(${ids}::text[])`.execute(tx);
    for (const row of rows) seen.add(row.record_id);
    return seen;
  }
  for (let i = 0; i < ids.length; i += DEDUPE_CHUNK) {
    const chunk = ids.slice(i, i + DEDUPE_CHUNK);
    for (const e of await knownRecordIds(tx, chunk)) seen.add(e.record_id);
    for (const e of await heldRecordIds(tx, chunk)) seen.add(e.record_id);
  }
  return seen;
}

/** PostgreSQL: the record ids of rows just written to usage_records, in one statement. */
async function addRecordKeys(tx: Tx, dialect: Dialect, ids: string[]): Promise<void> {
  if (dialect !== 'postgres' || ids.length === 0) return;
  await sql`insert into usage_record_keys (record_id) select unnest(${ids}::text[])`.execute(tx);
}

const insertUsageRecords = bulkInsert('usage_records', [
  'id',
  'record_id',
  'account_id',
  'line_id',
  'iccid',
  'type',
  'started_at',
  'duration_seconds',
  'bytes',
  'counterpart',
  'direction',
  'country',
  'charge',
  'created_at',
]);

export function createUsageService(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  currency: string;
  ledger: Ledger;
  catalog: CatalogService;
  audit: AuditService;
  policies: Pick<PolicyService, 'get'>;
  jobs: Pick<Jobs, 'registerRecurring'>;
  logger: Logger;
  /** Heavy reads that may lag a little (the usage list): on a read replica when there is one. */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, clock, ledger } = deps;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));
  const partitions = createUsagePartitions(deps);

  async function addServiceKey(name: string) {
    const key = `esk_${randomBytes(32).toString('base64url')}`;
    const id = newId('key', clock.now().getTime());
    await db
      .insertInto('service_keys')
      .values({ id, name, key_hash: sha256(key), created_at: clock.now().toISOString() })
      .execute();
    return { id, name, key };
  }

  async function revokeServiceKeys(name: string): Promise<number> {
    const result = await db
      .updateTable('service_keys')
      .set({ revoked_at: clock.now().toISOString() })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async function verifyServiceKey(token: string): Promise<boolean> {
    if (!token.startsWith('esk_') || token.length > 100) return false;
    const row = await db
      .selectFrom('service_keys')
      .select('revoked_at')
      .where('key_hash', '=', sha256(token))
      .executeTakeFirst();
    return row !== undefined && row.revoked_at === null;
  }

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
      if (deps.dialect === 'postgres') await sql`select pg_advisory_xact_lock(7301)`.execute(tx);
      const seen = await countedRecordIds(
        tx,
        deps.dialect,
        valid.map((v) => v.record.recordId),
      );
      const lines = await linesFor(tx, [...new Set(valid.map((v) => v.record.iccid))]);
      const rows: UsageRecordsTable[] = [];
      const holds: UsageHoldsTable[] = [];
      const charges = new Map<string, number>();
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
        if (charge > 0)
          charges.set(target.line.account_id, (charges.get(target.line.account_id) ?? 0) + charge);
        rows.push({
          id: newId('usg', now.getTime()),
          record_id: record.recordId,
          account_id: target.line.account_id,
          line_id: target.line.id,
          iccid: record.iccid,
          type: record.type,
          started_at: record.startedAt,
          duration_seconds: record.durationSeconds,
          bytes: record.bytes,
          counterpart: record.counterpart,
          direction: record.direction,
          country: record.country,
          charge,
          created_at: now.toISOString(),
        });
      }
      await insertUsageRecords(tx, rows);
      await addRecordKeys(
        tx,
        deps.dialect,
        rows.map((r) => r.record_id),
      );
      if (holds.length) await hold(tx, holds);
      for (const line of touched) {
        await tx
          .updateTable('lines')
          .set({
            data_bytes_left: line.data_bytes_left,
            voice_seconds_left: line.voice_seconds_left,
            sms_left: line.sms_left,
            updated_at: now.toISOString(),
          })
          .where('id', '=', line.id)
          .execute();
      }
      const batchId = rows[0]?.id ?? newId('usg');
      for (const [accountId, amount] of charges) await charge(tx, accountId, amount, batchId);
      result.accepted = rows.length;
    });
    result.rejected.sort((a, b) => a.index - b.index);
    return result;
  }

  function allowancesOf(line: LinesTable) {
    const { data_bytes_left, voice_seconds_left, sms_left } = line;
    return { data_bytes_left, voice_seconds_left, sms_left };
  }

  function holdRow(record: ValidRecord, line: LinesTable, quoted: number, now: Date): UsageHoldsTable {
    return {
      id: newId('uhd', now.getTime()),
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

  async function hold(tx: Tx, rows: UsageHoldsTable[]) {
    await tx.insertInto('usage_holds').values(rows).execute();
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

  async function linesFor(tx: Tx, iccids: string[]) {
    const map = new Map<
      string,
      { line: LinesTable; overage: { dataPerMb: number; voicePerMinute: number; smsEach: number } }
    >();
    const overages = new Map<string, { dataPerMb: number; voicePerMinute: number; smsEach: number }>();
    for (let i = 0; i < iccids.length; i += 500) {
      const rows = await tx
        .selectFrom('esims')
        .innerJoin('lines', 'lines.id', 'esims.line_id')
        .selectAll('lines')
        .select('esims.iccid as esim_iccid')
        .where('esims.iccid', 'in', iccids.slice(i, i + 500))
        .execute();
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

  /** Consumes allowances in place and returns the out-of-bundle charge (minor units) of one record. */
  function rate(
    line: LinesTable,
    overage: { dataPerMb: number; voicePerMinute: number; smsEach: number },
    r: ValidRecord,
  ): number {
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

  /** The wallet pays what it can; the rest becomes arrears (a receivable), never a negative wallet. */
  async function charge(
    tx: Tx,
    accountId: string,
    amount: number,
    batchId: string,
    referenceType: 'usage_batch' | 'usage_rerate' = 'usage_batch',
  ) {
    const currency = deps.currency;
    const wallet = await ledger.ensureAccount(tx, 'wallet', currency, accountId);
    await ledger.ensureAccount(tx, 'revenue', currency);
    const balance = await ledger.balance(tx, wallet);
    const fromWallet = Math.min(balance, amount);
    const reference = { type: referenceType, id: batchId };
    if (fromWallet > 0) {
      await ledger.post(tx, {
        debit: wallet,
        credit: ledgerAccountId('revenue', currency),
        amount: fromWallet,
        currency,
        kind: 'usage',
        reference,
      });
    }
    if (amount > fromWallet) {
      const arrears = await ledger.ensureAccount(tx, 'arrears', currency, accountId);
      await ledger.post(tx, {
        debit: arrears,
        credit: ledgerAccountId('revenue', currency),
        amount: amount - fromWallet,
        currency,
        kind: 'arrears',
        reference,
      });
    }
  }

  /** What a subscriber owes beyond the wallet (arrears), in minor units. */
  async function arrears(accountId: string): Promise<number> {
    const balance = await ledger.balance(db, ledgerAccountId('arrears', deps.currency, accountId));
    return balance === 0 ? 0 : -balance;
  }

  /**
   * A subscriber's records, newest first (by when they started), within the retention period; read
   * on a replica when there is one (a record that arrived a moment ago may not be listed yet).
   */
  async function list(
    accountId: string,
    filter: { type?: UsageType; from?: string; to?: string; cursor?: string; limit: number },
  ) {
    const { usageRetentionMonths } = await deps.policies.get();
    const earliest = monthStart(firstMonthKept(clock.now(), usageRetentionMonths));
    const rows = await reading((on) =>
      usageListQuery(on, accountId, {
        type: filter.type,
        from: filter.from && filter.from > earliest ? filter.from : earliest,
        to: filter.to,
        after: decodeUsageCursor(filter.cursor),
        limit: filter.limit,
      }).execute(),
    );
    const items = rows.slice(0, filter.limit);
    const last = items.at(-1);
    return {
      nextCursor:
        rows.length > filter.limit && last
          ? encodeUsageCursor({ startedAt: last.started_at, id: last.id })
          : null,
      items: items.map((r) => ({
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
        charge: { amount: Number(r.charge), currency: deps.currency },
      })),
    };
  }

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
  async function rerate(lineId: string, actor: Actor, requestId: string) {
    return db.transaction().execute(async (tx) => {
      if (deps.dialect === 'postgres') await sql`select pg_advisory_xact_lock(7301)`.execute(tx);
      const line = await tx.selectFrom('lines').selectAll().where('id', '=', lineId).executeTakeFirst();
      if (!line) throw new AppError('LINE_NOT_FOUND', { field: 'line' });
      const summary = { lineId, records: 0, changed: 0, previousTotal: 0, newTotal: 0, delta: 0 };
      if (!line.activated_at) return summary;
      const plan = await deps.catalog.get(tx, line.plan_id, 'en');
      const addons = await tx
        .selectFrom('line_addons')
        .innerJoin('addons', 'addons.id', 'line_addons.addon_id')
        .select(['line_addons.created_at', 'addons.data_mb', 'addons.voice_minutes', 'addons.sms'])
        .where('line_addons.line_id', '=', lineId)
        .where('line_addons.created_at', '>=', line.activated_at)
        .orderBy('line_addons.created_at')
        .orderBy('line_addons.id')
        .execute();
      const records = await tx
        .selectFrom('usage_records')
        .selectAll()
        .where('line_id', '=', lineId)
        .where('started_at', '>=', line.activated_at)
        .orderBy('started_at')
        .orderBy('id')
        .execute();
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
        const charge = rate(rated, plan.overage, {
          recordId: r.record_id,
          iccid: r.iccid,
          type: r.type,
          startedAt: r.started_at,
          durationSeconds: r.duration_seconds,
          bytes: r.bytes === null ? null : Number(r.bytes),
          counterpart: r.counterpart,
          direction: r.direction,
          country: r.country,
        });
        summary.records++;
        summary.previousTotal += previous;
        summary.newTotal += charge;
        if (charge !== previous) {
          summary.changed++;
          await tx
            .updateTable('usage_records')
            .set({ charge })
            .where('id', '=', r.id)
            // The partition key: on PostgreSQL the update goes to the record's month only.
            .where('started_at', '=', r.started_at)
            .execute();
        }
      }
      buyUntil(null);
      await tx
        .updateTable('lines')
        .set({
          data_bytes_left: rated.data_bytes_left,
          voice_seconds_left: rated.voice_seconds_left,
          sms_left: rated.sms_left,
          updated_at: now,
        })
        .where('id', '=', lineId)
        .execute();
      summary.delta = summary.newTotal - summary.previousTotal;
      const rerateId = newId('rrt', clock.now().getTime());
      if (summary.delta > 0) await charge(tx, line.account_id, summary.delta, rerateId, 'usage_rerate');
      if (summary.delta < 0) await giveBack(tx, line.account_id, -summary.delta, rerateId);
      await deps.audit.record(tx, {
        actor,
        action: 'usage.rerated',
        subject: { type: 'line', id: lineId },
        accountId: line.account_id,
        after: { ...summary, reference: rerateId },
        requestId,
      });
      return summary;
    });
  }

  /** Money rating took that it should not have: it first pays off arrears, the rest goes to the wallet. */
  async function giveBack(tx: Tx, accountId: string, amount: number, rerateId: string) {
    const currency = deps.currency;
    const revenue = await ledger.ensureAccount(tx, 'revenue', currency);
    const reference = { type: 'usage_rerate', id: rerateId };
    const arrears = await ledger.ensureAccount(tx, 'arrears', currency, accountId);
    const owed = -(await ledger.balance(tx, arrears));
    const toArrears = Math.min(Math.max(owed, 0), amount);
    if (toArrears > 0)
      await ledger.post(tx, {
        debit: revenue,
        credit: arrears,
        amount: toArrears,
        currency,
        kind: 'arrears',
        reference,
      });
    if (amount > toArrears) {
      const wallet = await ledger.ensureAccount(tx, 'wallet', currency, accountId);
      await ledger.post(tx, {
        debit: revenue,
        credit: wallet,
        amount: amount - toArrears,
        currency,
        kind: 'usage',
        reference,
      });
    }
  }

  function presentHold(h: UsageHoldsTable) {
    const money = (amount: number) => ({ amount, currency: deps.currency });
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

  /** Held usage records for the staff console, oldest first (the queue order). */
  async function holds(filter: { status?: UsageHoldStatus; cursor?: string; limit: number }) {
    let query = db
      .selectFrom('usage_holds')
      .selectAll()
      .where('status', '=', filter.status ?? 'held')
      .orderBy('id')
      .limit(filter.limit + 1);
    const after = decodeCursor(filter.cursor);
    if (after) query = query.where('id', '>', after);
    const result = page(await query.execute(), filter.limit);
    return { items: result.items.map(presentHold), nextCursor: result.nextCursor };
  }

  /**
   * Staff decide a held record. Approving rates it now (against the line's allowances and plan as they
   * are) and posts it: a usage record and the charge, wallet first then arrears, exactly once — the
   * hold leaves `held` in the same transaction, and a second decision finds it decided. Rejecting
   * charges nothing. Both are audited.
   */
  async function decideHold(
    id: string,
    decision: 'approve' | 'reject',
    note: string | undefined,
    actor: Actor,
    requestId?: string,
  ) {
    return db.transaction().execute(async (tx) => {
      if (deps.dialect === 'postgres') await sql`select pg_advisory_xact_lock(7301)`.execute(tx);
      const held = await tx.selectFrom('usage_holds').selectAll().where('id', '=', id).executeTakeFirst();
      if (!held) throw new AppError('USAGE_HOLD_NOT_FOUND', { field: 'id' });
      if (held.status !== 'held')
        throw new AppError('INVALID_TRANSITION', { status: held.status, to: decision });
      const now = clock.now();
      const decided = {
        decided_by: actor.id,
        decided_at: now.toISOString(),
        note: note?.trim() || null,
      };
      if (decision === 'reject') {
        await tx
          .updateTable('usage_holds')
          .set({ ...decided, status: 'rejected' })
          .where('id', '=', id)
          .where('status', '=', 'held')
          .execute();
      } else {
        const line = await tx
          .selectFrom('lines')
          .selectAll()
          .where('id', '=', held.line_id)
          .executeTakeFirstOrThrow();
        const overage = (await deps.catalog.get(tx, line.plan_id, 'en')).overage;
        const record: ValidRecord = {
          recordId: held.record_id,
          iccid: held.iccid,
          type: held.type,
          startedAt: held.started_at,
          durationSeconds: held.duration_seconds,
          bytes: held.bytes === null ? null : Number(held.bytes),
          counterpart: held.counterpart,
          direction: held.direction,
          country: held.country,
        };
        const amount = rate(line, overage, record);
        const usageId = newId('usg', now.getTime());
        await insertUsageRecords(tx, [
          {
            id: usageId,
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
            charge: amount,
            created_at: now.toISOString(),
          },
        ]);
        await addRecordKeys(tx, deps.dialect, [record.recordId]);
        await tx
          .updateTable('lines')
          .set({ ...allowancesOf(line), updated_at: now.toISOString() })
          .where('id', '=', line.id)
          .execute();
        if (amount > 0) await charge(tx, line.account_id, amount, usageId);
        await tx
          .updateTable('usage_holds')
          .set({ ...decided, status: 'approved', charge: amount, usage_id: usageId })
          .where('id', '=', id)
          .where('status', '=', 'held')
          .execute();
      }
      const after = await tx
        .selectFrom('usage_holds')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await deps.audit.record(tx, {
        actor,
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
        requestId,
      });
      return presentHold(after);
    });
  }

  return {
    addServiceKey,
    revokeServiceKeys,
    verifyServiceKey,
    ingest,
    list,
    arrears,
    rerate,
    holds,
    decideHold,
    partitions: partitions.partitions,
    ensurePartitions: partitions.ensurePartitions,
    applyRetention: partitions.applyRetention,
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
