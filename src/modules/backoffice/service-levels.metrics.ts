import { type Metrics, scrapedGauge } from '../../core/metrics.js';
import type { spread } from './service-levels.js';

/** Prometheus gauges of the service levels, computed at scrape time over the last four weeks. */
export function registerGauges(
  metrics: Metrics,
  figures: {
    cancellationServiceLevels(weeks?: number): Promise<{
      openNow: number;
      overdueNow: number;
      weeks: { hoursToDecision: ReturnType<typeof spread>; decided: number }[];
    }>;
    ticketServiceLevels(weeks?: number): Promise<{
      openNow: number;
      unansweredNow: number;
      weeks: { hoursToFirstResponse: ReturnType<typeof spread> }[];
    }>;
  },
) {
  // One scrape reads each figure once for its two gauges: the read is shared for a second.
  const once = <T>(read: () => Promise<T>) => {
    let last: { at: number; value: Promise<T> } | null = null;
    return () => {
      if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), value: read() };
      return last.value;
    };
  };
  const levels = {
    cancellations: once(async () => {
      const c = await figures.cancellationServiceLevels(4);
      return {
        now: { open: c.openNow, overdue: c.overdueNow },
        spreads: c.weeks.map((w) => w.hoursToDecision),
      };
    }),
    tickets: once(async () => {
      const t = await figures.ticketServiceLevels(4);
      return {
        now: { open: t.openNow, unanswered: t.unansweredNow },
        spreads: t.weeks.map((w) => w.hoursToFirstResponse),
      };
    }),
  };
  const gauges = [
    {
      now: 'cancellation_requests_now',
      nowHelp: 'Cancellation requests waiting for a decision, and how many of them are past their due date',
      hours: 'cancellation_decision_hours',
      hoursHelp:
        'Hours from submission to the first decision, worst week of the last four (median, p90, max)',
      read: levels.cancellations,
    },
    {
      now: 'tickets_now',
      nowHelp: 'Support tickets not closed, and how many have no answer yet',
      hours: 'ticket_first_response_hours',
      hoursHelp:
        'Hours from a ticket being opened to the first answer, worst week of the last four (median, p90, max)',
      read: levels.tickets,
    },
  ];
  for (const g of gauges) {
    scrapedGauge(metrics, { name: g.now, help: g.nowHelp, labelNames: ['state'] as const }, async () =>
      Object.entries((await g.read()).now).map(([state, value]) => ({ labels: { state }, value })),
    );
    scrapedGauge(metrics, { name: g.hours, help: g.hoursHelp, labelNames: ['quantile'] as const }, async () =>
      quantiles((await g.read()).spreads),
    );
  }
}

function quantiles(weeks: ReturnType<typeof spread>[]) {
  const worst = (pick: (s: ReturnType<typeof spread>) => number | null) =>
    Math.max(0, ...weeks.map(pick).filter((v): v is number => v !== null));
  return [
    { labels: { quantile: '0.5' }, value: worst((s) => s.median) },
    { labels: { quantile: '0.9' }, value: worst((s) => s.p90) },
    { labels: { quantile: '1' }, value: worst((s) => s.max) },
  ];
}
