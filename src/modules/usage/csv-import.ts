import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { IngestResult, UsageService } from './usage.service.js';
import { RECORD_FIELDS } from './usage.validation.js';

export interface ImportSummary {
  read: number;
  skipped: number;
  accepted: number;
  duplicates: number;
  rejected: Array<{ line: number; code: string; field?: string }>;
  /** Records charging more than the policy's ceiling: held for staff review (the hold's id), not charged. */
  held: Array<{ line: number; id: string }>;
  /** A line the CSV parser could not read (broken quoting): the import stops there; what came before is kept. */
  brokenAt: { line: number; message: string } | null;
}

const NUMERIC = new Set(['durationSeconds', 'bytes']);
const LINE_END = /\r\n|\n|\r/;

/**
 * Streams a mediation CSV (header: id,iccid,type,startedAt,durationSeconds,bytes,counterpart,direction,country)
 * into the ingest in batches, under the same plausibility bounds and review ceiling as the API. Resumable: after each committed batch the number of records done is written to
 * `<file>.progress`, and a rerun starts after them; records are counted once by id in any case.
 */
export async function importUsageCsv(
  usage: Pick<UsageService, 'ingest'>,
  file: string,
  options: {
    batchSize?: number;
    onProgress?: (summary: ImportSummary) => void;
    /** Bytes read at a time (1 MiB); lines may span reads. */
    readSize?: number;
  } = {},
): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 5000;
  const checkpoint = `${file}.progress`;
  const done = fs.existsSync(checkpoint) ? Number(fs.readFileSync(checkpoint, 'utf8')) || 0 : 0;
  const summary: ImportSummary = {
    read: 0,
    skipped: 0,
    accepted: 0,
    duplicates: 0,
    rejected: [],
    held: [],
    brokenAt: null,
  };
  let batch: Array<{ line: number; record: Record<string, unknown> }> = [];

  async function flush() {
    if (batch.length === 0) return;
    const result: IngestResult = await usage.ingest(batch.map((b) => b.record));
    summary.accepted += result.accepted;
    summary.duplicates += result.duplicates;
    for (const r of result.rejected)
      summary.rejected.push({ line: batch[r.index]!.line, code: r.code, field: r.field });
    for (const h of result.held) summary.held.push({ line: batch[h.index]!.line, id: h.id });
    fs.writeFileSync(checkpoint, String(summary.read));
    batch = [];
    options.onProgress?.(summary);
  }

  // Mediation CDR files hold one record per line, so each line is parsed on its own: a line with broken
  // quoting is reported by its number and stops the import there.
  let columns: string[] | null = null;
  let lineNumber = 0;
  /** Takes one line; false when the CSV parser could not read it. */
  function take(raw: string): boolean {
    lineNumber++;
    const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') return true;
    let fields: string[];
    try {
      // Most lines have no quotes: splitting them is exact and far cheaper than a full parse.
      fields = text.includes('"')
        ? ((parse(text, { trim: true }) as string[][])[0] ?? [])
        : text.split(',').map((f) => f.trim());
    } catch (error) {
      summary.brokenAt = { line: lineNumber, message: (error as Error).message };
      return false;
    }
    if (!columns) {
      columns = fields;
      return true;
    }
    summary.read++;
    if (summary.read <= done) {
      summary.skipped++;
      return true;
    }
    if (text.includes('\uFFFD')) {
      summary.rejected.push({ line: lineNumber, code: 'INVALID_ENCODING' });
      return true;
    }
    const record: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const key = columns[i]!;
      // A CSV from mediation may carry columns of its own (an end time, a cell id): not ours to read.
      if (!RECORD_FIELDS.has(key)) continue;
      const value = fields[i] ?? '';
      if (value !== '') record[key] = NUMERIC.has(key) && /^\d+$/.test(value) ? Number(value) : value;
    }
    batch.push({ line: lineNumber, record });
    return true;
  }

  // Read in large chunks and split into lines here: a promise per line (readline's async iterator)
  // cost more than parsing the line. Line ends are \n, \r\n or a lone \r, as readline counts them.
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: options.readSize ?? 1 << 20 });
  let rest = '';
  reading: for await (const chunk of input as AsyncIterable<string>) {
    let text = rest + chunk;
    // A \r at the end may be the first half of a \r\n split across chunks.
    const carry = text.endsWith('\r') ? '\r' : '';
    if (carry) text = text.slice(0, -1);
    const lines = text.split(LINE_END);
    rest = lines.pop()! + carry;
    for (const line of lines) {
      if (!take(line)) break reading;
      if (batch.length >= batchSize) await flush();
    }
  }
  input.destroy();
  if (!summary.brokenAt && rest !== '') take(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  await flush();
  if (!summary.brokenAt) fs.rmSync(checkpoint, { force: true });
  return summary;
}
