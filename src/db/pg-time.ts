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
