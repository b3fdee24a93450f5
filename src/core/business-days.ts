import Holidays from 'date-holidays';

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** Minutes the zone is ahead of UTC at an instant (Asia/Shanghai: 480). */
function offsetMinutes(at: Date, timeZone: string): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}

function nextDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The operator's working calendar: weekends and the full-day public holidays of its country (from the
 * date-holidays data, not a hand list), in its time zone. Half-day observances (e.g. 08 March in CN) do
 * not stop work.
 */
export function createCalendar(country: string, timeZone: string) {
  const holidays = new Holidays(country);
  const byYear = new Map<number, Map<string, string>>();

  function holidaysOf(year: number): Map<string, string> {
    let days = byYear.get(year);
    if (!days) {
      days = new Map();
      for (const h of holidays.getHolidays(year) || []) {
        if (h.type === 'public' && h.date.endsWith('00:00:00')) days.set(h.date.slice(0, 10), h.name);
      }
      byYear.set(year, days);
    }
    return days;
  }

  function holidayName(day: string): string | undefined {
    return holidaysOf(Number(day.slice(0, 4))).get(day);
  }

  function isBusinessDay(day: string): boolean {
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6 && holidayName(day) === undefined;
  }

  /** The end (23:59:59.999 local) of the n-th business day after the day of `from`. */
  function addBusinessDays(from: Date, n: number): Date {
    let day = localDate(from, timeZone);
    for (let counted = 0; counted < n; ) {
      day = nextDay(day);
      if (isBusinessDay(day)) counted++;
    }
    const localEnd = Date.parse(`${day}T23:59:59.999Z`);
    return new Date(localEnd - offsetMinutes(new Date(localEnd), timeZone) * 60_000);
  }

  return { isBusinessDay, holidayName, addBusinessDays, localDate: (at: Date) => localDate(at, timeZone) };
}

export type Calendar = ReturnType<typeof createCalendar>;
