import { describe, expect, it } from 'vitest';
import { createCalendar } from './business-days.js';

describe('business days on real calendars', () => {
  const cn = createCalendar('CN', 'Asia/Shanghai');
  const de = createCalendar('DE', 'Europe/Berlin');

  it('skips the National Day holiday in China', () => {
    // Wednesday 30 September 2026, 10:00 in Shanghai.
    const due = cn.addBusinessDays(new Date('2026-09-30T02:00:00Z'), 3);
    expect(cn.localDate(due)).not.toBe('2026-10-02');
    expect(cn.localDate(due) > '2026-10-03').toBe(true);
    expect(cn.holidayName('2026-10-01')).toBe('国庆节');
    expect(due.toISOString()).toBe(`${cn.localDate(due)}T15:59:59.999Z`);
  });

  it('skips the weekend after a Friday submission', () => {
    // Friday 6 November 2026 → Monday 9, Tuesday 10, Wednesday 11.
    expect(cn.localDate(cn.addBusinessDays(new Date('2026-11-06T03:00:00Z'), 3))).toBe('2026-11-11');
    expect(cn.localDate(cn.addBusinessDays(new Date('2026-11-06T03:00:00Z'), 1))).toBe('2026-11-09');
  });

  it('uses the local day of the operator: late evening UTC is already tomorrow in Shanghai', () => {
    // 2026-11-05T20:00Z is Friday 6 November 04:00 in Shanghai.
    expect(cn.localDate(cn.addBusinessDays(new Date('2026-11-05T20:00:00Z'), 1))).toBe('2026-11-09');
  });

  it('gives another country its own holidays', () => {
    // 2 October 2026 is a working Friday in Germany; 3 October (Unity Day) falls on a Saturday.
    expect(de.localDate(de.addBusinessDays(new Date('2026-09-30T08:00:00Z'), 2))).toBe('2026-10-02');
    expect(de.isBusinessDay('2026-12-25')).toBe(false);
    expect(cn.isBusinessDay('2026-12-25')).toBe(true);
    // Half-day observances do not stop work.
    expect(cn.isBusinessDay('2026-03-09')).toBe(true);
  });
});
