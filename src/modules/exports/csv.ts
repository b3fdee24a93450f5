/**
 * RFC 4180 CSV lines (CRLF record ends) for the export's tables, written straight into one string per
 * page. csv-stringify wrote the same bytes (except that it left a bare CR or LF in a field unquoted),
 * but as a fifth of the archive worker's time (its per-field option handling and casting), the
 * largest single item in the export's profile (docs/performance.md). Fields are strings, numbers and
 * null only.
 */
const NEEDS_QUOTES = /[",\r\n]/;
/** A field a spreadsheet would read as a formula (=, +, -, @, tab or CR first), unless it is a plain number. */
const FORMULA = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

export type CsvField = string | number | null | undefined;

/**
 * One field: empty for null, quoted (with inner quotes doubled) when it holds a comma, quote or line
 * break. Text a subscriber chose (a device's name) could start a formula when the file is opened in
 * a spreadsheet (`=HYPERLINK(…)`): such a field is written with a leading apostrophe (OWASP's advice
 * on CSV injection), which spreadsheets show as text; numbers and phone numbers (+8613…) stay as they are.
 */
export function csvField(value: CsvField): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (typeof value === 'string' && FORMULA.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The rows as CSV lines, each ended by CRLF. */
export function csvLines(rows: readonly (readonly CsvField[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += ',';
      out += csvField(row[i]);
    }
    out += '\r\n';
  }
  return out;
}
