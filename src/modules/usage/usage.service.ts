import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Dialect, Tx } from '../../db/database.js';
import { bulkInsert, preparedList } from '../../db/prepared.js';
import type { LinesTable, UsageRecordsTable, UsageType } from '../../db/schema.js';
import { normalizeIccid } from '../../telecom/iccid.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { countryCode } from '../catalog/countries.js';
import { type Ledger, ledgerAccountId } from '../wallet/ledger.js';

export const MAX_BATCH = 10_000;
const MB = 1024 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; code: string; field?: string }>;
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

function validate(raw: unknown, memo: BatchMemo): ValidRecord | Rejection {
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
}) {
  const { db, clock, ledger } = deps;

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
   */
  async function ingest(records: unknown[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
    const valid: Array<{ index: number; record: ValidRecord }> = [];
    const memo: BatchMemo = { iccids: new Map(), countries: new Map() };
    records.forEach((raw, index) => {
      const v = validate(raw, memo);
      if ('code' in v) result.rejected.push({ index, ...v });
      else valid.push({ index, record: v });
    });
    if (valid.length === 0) return result;

    await db.transaction().execute(async (tx) => {
      // Ingest batches are rated one at a time, so allowances are consumed in a single, repeatable order.
      if (deps.dialect === 'postgres') await sql`select pg_advisory_xact_lock(7301)`.execute(tx);
      const seen = new Set<string>();
      for (let i = 0; i < valid.length; i += DEDUPE_CHUNK) {
        const ids = valid.slice(i, i + DEDUPE_CHUNK).map((v) => v.record.recordId);
        for (const e of await knownRecordIds(tx, ids)) seen.add(e.record_id);
      }
      const lines = await linesFor(tx, [...new Set(valid.map((v) => v.record.iccid))]);
      const rows: UsageRecordsTable[] = [];
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
        if (
          target.line.status !== 'active' ||
          expired ||
          (target.line.activated_at && record.startedAt < target.line.activated_at)
        ) {
          result.rejected.push({ index, code: 'LINE_NOT_ACTIVE', field: 'iccid' });
          continue;
        }
        seen.add(record.recordId);
        const charge = rate(target.line, target.overage, record);
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

  async function list(
    accountId: string,
    filter: { type?: UsageType; from?: string; to?: string; cursor?: string; limit: number },
  ) {
    let query = db
      .selectFrom('usage_records')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(filter.limit + 1);
    if (filter.type) query = query.where('type', '=', filter.type);
    if (filter.from) query = query.where('started_at', '>=', filter.from);
    if (filter.to) query = query.where('started_at', '<', filter.to);
    const after = decodeCursor(filter.cursor);
    if (after) query = query.where('id', '<', after);
    const result = page(await query.execute(), filter.limit);
    return {
      nextCursor: result.nextCursor,
      items: result.items.map((r) => ({
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
          await tx.updateTable('usage_records').set({ charge }).where('id', '=', r.id).execute();
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

  return { addServiceKey, revokeServiceKeys, verifyServiceKey, ingest, list, arrears, rerate };
}

export type UsageService = ReturnType<typeof createUsageService>;
