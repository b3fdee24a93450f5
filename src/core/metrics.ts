import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app context, so several apps in one process (tests) never share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'runner_jobs_completed_total',
      help: 'Jobs that finished successfully, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    jobsFailed: new Counter({
      name: 'runner_jobs_failed_total',
      help: 'Job attempts that failed (each retry counts), by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    jobsDead: new Counter({
      name: 'runner_jobs_dead_total',
      help: 'Jobs that exhausted their attempts and were dead-lettered, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A gauge whose value is read from a callback on every scrape (queue depth, overdue requests, …). */
export function scrapedGauge<L extends string>(
  metrics: Metrics,
  options: { name: string; help: string; labelNames: readonly L[] },
  read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>,
): Gauge<L> {
  return new Gauge<L>({
    ...options,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const { labels, value } of await read()) this.set(labels, value);
    },
  });
}
