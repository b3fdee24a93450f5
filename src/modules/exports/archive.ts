import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import yazl from 'yazl';
import type { DatabaseConfig } from '../../config.js';
import { type Locale, translate } from '../../core/i18n.js';
import type { Db } from '../../db/database.js';
import { type CsvField, csvLines } from './csv.js';
import {
  devicesOfAccount,
  forfeitPostingsPage,
  usageExportPage as usageExportPageQuery,
  usageSpan,
  walletPostingsPage,
} from './exports.store.js';

const PAGE = 2000;
/** Fast deflate: CSV still shrinks to about a fifth, at several times the speed of the default level. */
const CSV_ZIP = { compressionLevel: 1 };
const BOM = '\uFEFF';
/** tsx's ESM API (development only; the compiled server needs no loader). */
const TSX_API = () =>
  pathToFileURL(
    path.join(
      path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
      'dist/esm/api/index.mjs',
    ),
  ).href;
/** The archive worker's old generation: a page of rows at a time needs a few MB; more is garbage. */
const WORKER_HEAP_MB = 64;

/** Everything the archive holds besides what it reads from the database as it writes. */
export interface ArchiveInput {
  accountId: string;
  walletId: string;
  locale: Locale;
  brandName: string;
  /** ISO time of the export (the README's date). */
  now: string;
  profile: Record<string, unknown>;
  tickets: unknown;
  /** Where the ZIP is written. */
  file: string;
}

/**
 * Reads a table in keyset pages: each call returns the next page as CSV rows, or null at the end.
 * Only the position (the last id) is kept between calls, never a page.
 */
function keyset<T extends { id: string }>(
  fetchPage: (after: string | null) => Promise<T[]>,
  toRow: (row: T) => CsvField[],
): () => Promise<CsvField[][] | null> {
  let after: string | null = null;
  let done = false;
  return async () => {
    if (done) return null;
    const rows = await fetchPage(after);
    done = rows.length < PAGE;
    if (rows.length === 0) return null;
    after = rows[rows.length - 1]!.id;
    return rows.map(toRow);
  };
}

/**
 * An RFC 4180 CSV stream (UTF-8 with BOM, so spreadsheet programs read Chinese correctly), produced
 * a page at a time as the ZIP asks for more. A page's rows live only while it is turned into bytes:
 * held across the wait for the compressor, they outlived young-generation collections and piled up
 * in the old generation, which set the process's peak memory.
 */
function csv(columns: string[], nextPage: () => Promise<CsvField[][] | null>): Readable {
  let headerSent = false;
  return new Readable({
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push(Buffer.from(BOM + csvLines([columns])));
        return;
      }
      nextPage().then(
        (rows) => this.push(rows ? Buffer.from(csvLines(rows)) : null),
        (error: Error) => this.destroy(error),
      );
    },
  });
}

/**
 * Writes the subscriber's archive, streaming each table from the database into the ZIP on disk. A
 * table that cannot be read fails the call (yazl reports it on the ZipFile), once the file is closed:
 * a run on another database (the primary, after its replica failed) may then write it afresh.
 */
export async function writeArchive(db: Db, input: ArchiveInput): Promise<void> {
  const zip = new yazl.ZipFile();
  const out = fs.createWriteStream(input.file);
  const written = pipeline(zip.outputStream, out);
  const unreadable = new Promise<never>((_, reject) =>
    zip.on('error', (error: Error) => {
      out.destroy(error);
      reject(error);
    }),
  );
  zip.addBuffer(Buffer.from(JSON.stringify(input.profile, null, 2)), 'profile.json');
  zip.addBuffer(
    Buffer.from(
      BOM +
        translate(input.locale, 'exports.readme', {
          brand: input.brandName,
          date: input.now.slice(0, 10),
        }).replace(/\n/g, '\r\n'),
    ),
    input.locale === 'zh-CN' ? 'README-说明.txt' : 'README.txt',
  );
  zip.addReadStream(ledgerCsv(db, input.walletId), 'ledger.csv', CSV_ZIP);
  zip.addReadStream(usageCsv(db, input.accountId, 'voice'), 'calls.csv', CSV_ZIP);
  zip.addReadStream(usageCsv(db, input.accountId, 'sms'), 'sms.csv', CSV_ZIP);
  zip.addReadStream(usageCsv(db, input.accountId, 'data'), 'data.csv', CSV_ZIP);
  zip.addReadStream(devicesCsv(db, input.accountId), 'devices.csv', CSV_ZIP);
  zip.addReadStream(forfeitsCsv(db, input.walletId), 'forfeits.csv', CSV_ZIP);
  zip.addBuffer(Buffer.from(`${JSON.stringify(input.tickets, null, 2)}\n`), 'tickets.json');
  zip.end();
  try {
    await Promise.race([written, unreadable]);
  } catch (error) {
    await written.catch(() => {});
    throw error;
  }
}

/** Where the archive reads: the primary, or a replica that holds every write before `position`. */
export interface ArchiveSource {
  /** The primary's WAL position when the export started (Database.writePosition). */
  position: string | null;
  /** How long to wait for a replica to replay that far before reading on the primary. */
  waitMs: number;
}

/** Reads on the primary only. */
const PRIMARY: ArchiveSource = { position: null, waitMs: 0 };

/**
 * Builds the archive on a worker thread with a database connection of its own: compressing a
 * million records takes seconds of CPU that would otherwise stall the runner's (and, in demo mode,
 * the API's) event loop, and the worker's small, capped heap is collected as it goes instead of
 * growing with garbage the way a large process's heap does. The worker reads on a replica when one
 * has replayed up to `source.position` (Database.readingAtLeast). An in-memory SQLite database
 * cannot be opened twice, so that one (tests) is read on the calling thread.
 */
export function buildArchive(
  database: DatabaseConfig,
  db: Db,
  input: ArchiveInput,
  source: ArchiveSource = PRIMARY,
): Promise<void> {
  if (database.dialect === 'sqlite' && database.path === ':memory:') return writeArchive(db, input);
  const options = {
    workerData: { database, input, source },
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  };
  const worker = import.meta.url.endsWith('.ts')
    ? // Running from the TypeScript sources (development, tests): the worker registers tsx first.
      new Worker(
        `import(${JSON.stringify(TSX_API())}).then(({ register }) => { register(); return import(${JSON.stringify(new URL('./archive-worker.ts', import.meta.url).href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(new URL('./archive-worker.js', import.meta.url), options);
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (result: { ok: true } | { ok: false; error: string }) => {
      settled = true;
      if (result.ok) resolve();
      else reject(new Error(`export archive: ${result.error}`));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`export archive worker exited with code ${code}`));
    });
  });
}

function ledgerCsv(db: Db, walletId: string): Readable {
  const next = keyset(
    (after) => walletPostingsPage(db, walletId, after, PAGE),
    (p) => {
      const incoming = p.credit_id === walletId;
      return [
        p.id,
        p.created_at,
        p.kind,
        incoming ? Number(p.amount) : -Number(p.amount),
        incoming ? p.credit_balance_after : p.debit_balance_after,
        p.currency,
        p.reference_id ?? '',
      ];
    },
  );
  return csv(['id', 'time', 'kind', 'amount_minor', 'balance_after_minor', 'currency', 'reference'], next);
}

/**
 * A page of one type of a subscriber's usage records within one month (see the store), a page long
 * unless told.
 */
export function usageExportPage(
  db: Db,
  accountId: string,
  type: 'voice' | 'sms' | 'data',
  month: { from: string; to: string },
  after: { startedAt: string; id: string } | null,
  limit = PAGE,
) {
  return usageExportPageQuery(db, accountId, type, month, after, limit);
}

/** The UTC month `time` falls in, as the instants it starts and ends. */
function monthAround(time: string): { from: string; to: string } {
  const at = new Date(time);
  const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const to = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { from: from.toISOString(), to: to.toISOString() };
}

/**
 * Pages of a subscriber's records of one type, month by month from the first record's month to the
 * last's (one cheap lookup finds both), so each page query reads one month.
 */
function usagePages(db: Db, accountId: string, type: 'voice' | 'sms' | 'data') {
  let span: { first: string; last: string } | null | undefined;
  let month: { from: string; to: string } | null = null;
  let after: { startedAt: string; id: string } | null = null;
  return async () => {
    if (span === undefined) {
      const found = await usageSpan(db, accountId, type);
      span = found?.first && found.last ? { first: found.first, last: found.last } : null;
      if (span) month = monthAround(span.first);
    }
    while (span && month && month.from <= span.last) {
      const rows = await usageExportPage(db, accountId, type, month, after).execute();
      if (rows.length === PAGE) {
        const last = rows[PAGE - 1]!;
        after = { startedAt: last.started_at, id: last.id };
        return rows;
      }
      month = monthAround(month.to);
      after = null;
      if (rows.length) return rows;
    }
    return null;
  };
}

function usageCsv(db: Db, accountId: string, type: 'voice' | 'sms' | 'data'): Readable {
  const columns =
    type === 'voice'
      ? ['id', 'time', 'duration_seconds', 'number', 'direction', 'country', 'charge_minor']
      : type === 'sms'
        ? ['id', 'time', 'number', 'direction', 'country', 'charge_minor']
        : ['id', 'time', 'bytes', 'country', 'charge_minor'];
  const nextPage = usagePages(db, accountId, type);
  const next = async () => {
    const rows = await nextPage();
    return (
      rows?.map((r) => {
        const charge = Number(r.charge);
        if (type === 'voice')
          return [
            r.record_id,
            r.started_at,
            r.duration_seconds,
            r.counterpart ?? '',
            r.direction ?? '',
            r.country,
            charge,
          ];
        if (type === 'sms')
          return [r.record_id, r.started_at, r.counterpart ?? '', r.direction ?? '', r.country, charge];
        return [r.record_id, r.started_at, Number(r.bytes), r.country, charge];
      }) ?? null
    );
  };
  return csv(columns, next);
}

function devicesCsv(db: Db, accountId: string): Readable {
  let done = false;
  const next = async () => {
    if (done) return null;
    done = true;
    const devices = await devicesOfAccount(db, accountId);
    return devices.map((d) => [
      d.id,
      d.name,
      d.eid,
      d.iccid ?? '',
      d.line_id,
      d.bound_at,
      d.unbound_at ?? '',
    ]);
  };
  return csv(['id', 'name', 'eid', 'iccid', 'line', 'bound_at', 'unbound_at'], next);
}

/** The receipts of balance the subscriber gave up: the receipt id, when, how much, the balance left. */
function forfeitsCsv(db: Db, walletId: string): Readable {
  const next = keyset(
    (after) => forfeitPostingsPage(db, walletId, after, PAGE),
    (p) => [p.reference_id ?? '', p.created_at, Number(p.amount), p.currency, p.debit_balance_after],
  );
  return csv(['receipt', 'time', 'amount_minor', 'currency', 'balance_after_minor'], next);
}
