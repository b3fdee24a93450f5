import type pg from 'pg';

/**
 * PostgreSQL's text form of a timestamp in a UTC session (`2026-11-29 10:00:00.123456+00`) turned into
 * the ISO form the application uses (`2026-11-29T10:00:00.123Z`) by rearranging the text: parsing it
 * into a Date and formatting it again was a tenth of the data export's time (docs/performance.md).
 * Anything else (another offset, a year past 9999, BC, infinity) goes through Date as before.
 */
const PG_UTC_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(\+00)?$/;

/** `zoned`: a timestamptz (the text carries the offset); otherwise a timestamp read as UTC. */
export function isoFromPgTime(text: string, zoned: boolean): string {
  const match = PG_UTC_TIME.exec(text);
  if (match && Boolean(match[4]) === zoned)
    return `${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  return new Date(zoned ? text : `${text}Z`).toISOString();
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const PG_TIMESTAMPTZ = 1184;
const PG_TIMESTAMP = 1114;

function toSafeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`integer ${text} exceeds the safe range`);
  return value;
}

/** How pg turns PostgreSQL's values into ours: safe integers, numbers for numeric, ISO 8601 times. */
export function pgTypes(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === PG_INT8) return toSafeInteger;
      if (oid === PG_NUMERIC) return Number;
      if (oid === PG_TIMESTAMPTZ || oid === PG_TIMESTAMP) {
        const zoned = oid === PG_TIMESTAMPTZ;
        return (text: string) => isoFromPgTime(text, zoned);
      }
      return driver.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}
