import autocannon from 'autocannon';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** What `value` is compared with, measured in the same run. */
  baseline?: { name: string; value: number };
  goal?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** Drives `url` with autocannon and returns throughput and tail latency. */
export async function load(
  url: string,
  options: { connections?: number; seconds?: number; headers?: Record<string, string> } = {},
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections ?? 50,
    duration: options.seconds ?? 5,
    headers: options.headers,
    // The load generator runs on a thread of its own: sharing the server's event loop, it spent the
    // server's CPU parsing every answer (more for an answer with more headers).
    workers: 1,
  });
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

export function ratio(row: BenchRow): string {
  return row.baseline ? (row.value / row.baseline.value).toFixed(2) : '';
}
