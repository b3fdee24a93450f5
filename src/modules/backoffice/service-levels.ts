import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/database.js';
import {
  cancellationRequestsSubmittedSince,
  countUnansweredTickets,
  countWaitingCancellations,
  decisionEventsOf,
  openTicketCounts,
  ticketsOpenedSince,
} from './stores/operations.store.js';

const WEEK_MS = 7 * 86_400_000;

/** Median, 90th percentile and maximum of durations in hours (nearest-rank), or nulls when empty. */
export function spread(hours: number[]): { median: number | null; p90: number | null; max: number | null } {
  if (hours.length === 0) return { median: null, p90: null, max: null };
  const sorted = [...hours].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  const round = (h: number) => Math.round(h * 100) / 100;
  return { median: round(rank(0.5)), p90: round(rank(0.9)), max: round(sorted.at(-1)!) };
}

/** Monday 00:00 UTC of the ISO week `at` falls in. */
export function weekOf(at: Date): string {
  const day = (at.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - day));
  return monday.toISOString().slice(0, 10);
}

const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 3_600_000;

/** The service-level figures regulators and managers ask for: cancellation review and ticket answers. */
export function createServiceLevels(deps: {
  clock: Clock;
  /** Heavy reads that may lag a little (the dashboards): on a read replica when there is one. */
  reading: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { clock } = deps;

  /**
   * Cancellation review: per ISO week of submission, time to the first decision (approve, request
   * information, reject) in hours — median, p90, max — and the outcomes; plus what is overdue now.
   * Read on a replica when there is one.
   */
  function cancellationServiceLevels(weeks = 12) {
    return deps.reading((on) => cancellationServiceLevelsOn(on, weeks));
  }

  async function cancellationServiceLevelsOn(db: Db, weeks: number) {
    const since = new Date(clock.now().getTime() - weeks * WEEK_MS).toISOString();
    const requests = await cancellationRequestsSubmittedSince(db, since);
    const events = requests.length
      ? await decisionEventsOf(
          db,
          requests.map((r) => r.id),
        )
      : [];
    const byWeek = new Map<
      string,
      {
        hours: number[];
        approved: number;
        info_requested: number;
        rejected: number;
        withdrawn: number;
        submitted: number;
      }
    >();
    const eventsOf = new Map<string, typeof events>();
    for (const e of events) {
      const own = eventsOf.get(e.request_id);
      if (own) own.push(e);
      else eventsOf.set(e.request_id, [e]);
    }
    for (const r of requests) {
      const week = weekOf(new Date(r.submitted_at));
      const bucket = byWeek.get(week) ?? {
        hours: [],
        approved: 0,
        info_requested: 0,
        rejected: 0,
        withdrawn: 0,
        submitted: 0,
      };
      bucket.submitted++;
      const own = eventsOf.get(r.id) ?? [];
      const first = own.find((e) => e.status !== 'withdrawn');
      if (first) bucket.hours.push(hoursBetween(r.submitted_at, first.at));
      for (const e of own) bucket[e.status as 'approved' | 'info_requested' | 'rejected' | 'withdrawn']++;
      byWeek.set(week, bucket);
    }
    const overdue = await countWaitingCancellations(db, clock.now().toISOString());
    const open = await countWaitingCancellations(db);
    return {
      openNow: open,
      overdueNow: overdue,
      weeks: [...byWeek.entries()]
        .sort(([a], [b]) => (a < b ? 1 : -1))
        .map(([week, b]) => ({
          week,
          submitted: b.submitted,
          decided: b.hours.length,
          hoursToDecision: spread(b.hours),
          outcomes: {
            approved: b.approved,
            infoRequested: b.info_requested,
            rejected: b.rejected,
            withdrawn: b.withdrawn,
          },
        })),
    };
  }

  /** Tickets: per ISO week of opening, time to the first staff answer in hours, and what is open now (on a replica when there is one). */
  function ticketServiceLevels(weeks = 12) {
    return deps.reading((on) => ticketServiceLevelsOn(on, weeks));
  }

  async function ticketServiceLevelsOn(db: Db, weeks: number) {
    const since = new Date(clock.now().getTime() - weeks * WEEK_MS).toISOString();
    const tickets = await ticketsOpenedSince(db, since);
    const byWeek = new Map<string, { opened: number; hours: number[] }>();
    for (const t of tickets) {
      const week = weekOf(new Date(t.created_at));
      const bucket = byWeek.get(week) ?? { opened: 0, hours: [] };
      bucket.opened++;
      if (t.first_response_at) bucket.hours.push(hoursBetween(t.created_at, t.first_response_at));
      byWeek.set(week, bucket);
    }
    const open = await openTicketCounts(db);
    const unanswered = await countUnansweredTickets(db);
    return {
      openNow: open.reduce((s, r) => s + Number(r.n), 0),
      waitingOnSupportNow: Number(open.find((r) => r.status === 'open')?.n ?? 0),
      unansweredNow: unanswered,
      weeks: [...byWeek.entries()]
        .sort(([a], [b]) => (a < b ? 1 : -1))
        .map(([week, b]) => ({
          week,
          opened: b.opened,
          answered: b.hours.length,
          hoursToFirstResponse: spread(b.hours),
        })),
    };
  }

  /** The cancellation figures as CSV (RFC 4180, UTF-8 with BOM) for a regulator. */
  async function cancellationServiceLevelsCsv(weeks = 52): Promise<string> {
    const figures = await cancellationServiceLevels(weeks);
    const header = [
      'week_starting',
      'submitted',
      'decided',
      'median_hours_to_decision',
      'p90_hours_to_decision',
      'max_hours_to_decision',
      'approved',
      'info_requested',
      'rejected',
      'withdrawn',
    ];
    const cell = (v: number | string | null) => (v === null ? '' : String(v));
    const lines = figures.weeks.map((w) =>
      [
        w.week,
        w.submitted,
        w.decided,
        w.hoursToDecision.median,
        w.hoursToDecision.p90,
        w.hoursToDecision.max,
        w.outcomes.approved,
        w.outcomes.infoRequested,
        w.outcomes.rejected,
        w.outcomes.withdrawn,
      ]
        .map(cell)
        .join(','),
    );
    return `\uFEFF${[header.join(','), ...lines].join('\r\n')}\r\n`;
  }

  return { cancellationServiceLevels, ticketServiceLevels, cancellationServiceLevelsCsv };
}
