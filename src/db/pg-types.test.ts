import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromPgTime } from './pg-types.js';

// What the type parser returned before: the text through Date and back.
const viaDate = (text: string, zoned: boolean) => new Date(zoned ? text : `${text}Z`).toISOString();

describe("PostgreSQL's timestamp text as ISO 8601", () => {
  it('rearranges the UTC forms PostgreSQL sends', () => {
    expect(isoFromPgTime('2026-11-29 10:00:00+00', true)).toBe('2026-11-29T10:00:00.000Z');
    expect(isoFromPgTime('2026-11-29 10:00:00.5+00', true)).toBe('2026-11-29T10:00:00.500Z');
    expect(isoFromPgTime('2026-11-29 10:00:00.123456+00', true)).toBe('2026-11-29T10:00:00.123Z');
    expect(isoFromPgTime('2026-11-29 10:00:00.12', false)).toBe('2026-11-29T10:00:00.120Z');
  });

  it('leaves other offsets and forms to Date', () => {
    expect(isoFromPgTime('2026-11-29 10:00:00+08', true)).toBe('2026-11-29T02:00:00.000Z');
    expect(isoFromPgTime('2026-11-29 10:00:00+05:30', true)).toBe('2026-11-29T04:30:00.000Z');
  });

  it('gives what Date gave for any instant and any number of fraction digits', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        (date, micros, digits, zoned) => {
          const base = date.toISOString().slice(0, 19).replace('T', ' ');
          const fraction = digits ? `.${String(micros).padStart(6, '0').slice(0, digits)}` : '';
          const text = `${base}${fraction}${zoned ? '+00' : ''}`;
          expect(isoFromPgTime(text, zoned)).toBe(viaDate(text, zoned));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
