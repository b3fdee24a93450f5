import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Db, Dialect } from '../db/database.js';
import type { JobRow } from '../db/schema.js';
import { backoffMs } from './backoff.js';
import type { Jobs } from './jobs.js';
import {
  dueJobIds,
  handBackJobs,
  leaseJobs,
  overdueFinalJobs,
  renewJobLeases,
  startJobs,
  updateHeldJob,
} from './jobs.store.js';
import { createOutageLog } from './outage-log.js';

export interface RunnerOptions {
  pollIntervalMs: number;
  concurrency: number;
  /**
   * How long a claimed job is ours unless renewed; a live runner renews its leases every third of
   * it, so after a crash another runner takes the job over within one lease.
   */
  leaseMs?: number;
  /** The longest a job may run before its signal is aborted. */
  maxRunMs?: number;
  backoff?: { baseMs?: number; capMs?: number; random?: () => number };
  id?: string;
}

export interface RunnerDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  logger: Logger;
  jobs: Jobs;
  metrics: Metrics;
}

const LEASE_EXPIRED = 'lease expired on the final attempt';
/** Joins a dead-lettered job's reason and the error of its failure path in last_error. */
const FAILURE_PATH_FAILED = '; failure path: ';

/** How often a runner makes sure the recurring jobs' next slots are queued. */
const SCHEDULE_EVERY_MS = 60_000;

export function createRunner(deps: RunnerDeps, options: RunnerOptions) {
  const { db, dialect, clock, jobs, metrics } = deps;
  const logger = deps.logger.child({ component: 'runner' });
  const runnerId = options.id ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const maxRunMs = options.maxRunMs ?? 5 * 60 * 1000;
  const running = new Set<string>();
  let renewal: ReturnType<typeof setInterval> | null = null;

  /** Extends the lease of every job this runner is running (one statement, every leaseMs / 3). */
  async function renewLeases(): Promise<void> {
    if (running.size === 0) return;
    const until = new Date(clock.now().getTime() + leaseMs).toISOString();
    try {
      await renewJobLeases(db, [...running], runnerId, until);
    } catch (error) {
      logger.warn({ err: error }, 'could not renew job leases');
    }
  }
  const shutdown = new AbortController();
  let stopping = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let lastScheduled = Number.NEGATIVE_INFINITY;

  /**
   * Claims up to `limit` due jobs (`run`) and jobs to dead-letter (`bury`): those whose lease ran out
   * on their final attempt (their runner died) or whose failure path is due again. PostgreSQL skips
   * rows other runners hold; SQLite has one writer.
   */
  async function claim(
    limit: number,
  ): Promise<{ run: JobRow[]; bury: Array<{ job: JobRow; reason: string }> }> {
    const now = clock.now().toISOString();
    const until = new Date(clock.now().getTime() + leaseMs).toISOString();
    return db.transaction().execute(async (tx) => {
      const reasons = new Map(
        (await overdueFinalJobs(tx, dialect, now, limit)).map((r) => [
          r.id,
          // Owned: its runner died on the final attempt. Unowned: its failure path failed before.
          r.locked_by !== null
            ? LEASE_EXPIRED
            : (r.last_error ?? LEASE_EXPIRED).split(FAILURE_PATH_FAILED)[0]!,
        ]),
      );
      const bury =
        reasons.size === 0
          ? []
          : (await leaseJobs(tx, [...reasons.keys()], runnerId, until, now)).map((job) => ({
              job,
              reason: reasons.get(job.id)!,
            }));
      if (bury.length >= limit) return { run: [], bury };
      const ids = await dueJobIds(tx, dialect, now, limit - bury.length);
      if (ids.length === 0) return { run: [], bury };
      const run = await startJobs(tx, ids, runnerId, until, now);
      return { run, bury };
    });
  }

  /** Keeps the lease of a job this runner works on renewed while `work` runs. */
  async function holding<T>(job: JobRow, work: () => Promise<T>): Promise<T> {
    running.add(job.id);
    renewal ??= setInterval(() => void renewLeases(), Math.max(100, Math.floor(leaseMs / 3)));
    try {
      return await work();
    } finally {
      running.delete(job.id);
      if (running.size === 0 && renewal) {
        clearInterval(renewal);
        renewal = null;
      }
    }
  }

  /**
   * A job with no attempt left: its failure path runs (see JobDefinition.onDeadLetter), then it is
   * dead. A failure path that fails is tried again later; the job stays running, unowned, till then.
   */
  async function bury(job: JobRow, reason: string): Promise<void> {
    const definition = jobs.definition(job.kind);
    if (definition?.onDeadLetter) {
      const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(maxRunMs)]);
      try {
        await holding(job, () => definition.onDeadLetter!(JSON.parse(job.payload), { job, signal, reason }));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const retryAt = new Date(clock.now().getTime() + backoffMs(job.attempts, options.backoff));
        await updateHeldJob(db, job.id, runnerId, {
          last_error: `${reason}${FAILURE_PATH_FAILED}${message}`.slice(0, 2000),
          locked_by: null,
          locked_until: retryAt.toISOString(),
          updated_at: clock.now().toISOString(),
        });
        logger.error(
          { jobId: job.id, kind: job.kind, retryAt, err: message },
          'job failure path failed, will retry',
        );
        return;
      }
    }
    const now = clock.now().toISOString();
    await updateHeldJob(db, job.id, runnerId, {
      status: 'dead',
      last_error: reason,
      locked_by: null,
      locked_until: null,
      finished_at: now,
      updated_at: now,
    });
    metrics.jobsDead.inc({ kind: job.kind });
    logger.error({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: reason }, 'job dead-lettered');
  }

  async function finish(job: JobRow, error: unknown): Promise<void> {
    const now = clock.now();
    if (error === undefined) {
      await updateHeldJob(db, job.id, runnerId, {
        status: 'succeeded',
        locked_by: null,
        locked_until: null,
        finished_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      metrics.jobsCompleted.inc({ kind: job.kind });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    metrics.jobsFailed.inc({ kind: job.kind });
    if (job.attempts >= job.max_attempts) {
      await bury(job, message);
      return;
    }
    const runAt = new Date(now.getTime() + backoffMs(job.attempts, options.backoff));
    await updateHeldJob(db, job.id, runnerId, {
      status: 'queued',
      last_error: message,
      run_at: runAt.toISOString(),
      locked_by: null,
      locked_until: null,
      updated_at: now.toISOString(),
    });
    logger.warn(
      { jobId: job.id, kind: job.kind, attempt: job.attempts, retryAt: runAt, err: message },
      'job failed, will retry',
    );
  }

  /** Queues each recurring job's current slot (cheap: one keyed insert per kind, a no-op once queued). */
  async function scheduleRecurring(): Promise<void> {
    await db.transaction().execute((tx) => jobs.scheduleRecurring(tx));
  }

  async function execute(job: JobRow): Promise<void> {
    const definition = jobs.definition(job.kind);
    if (!definition) {
      await finish(job, new Error(`no handler registered for job kind ${job.kind}`));
      return;
    }
    const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(maxRunMs)]);
    let failure: unknown;
    try {
      await holding(job, () => definition.handle(JSON.parse(job.payload), { job, signal }));
    } catch (error) {
      failure = error ?? new Error('job failed');
    }
    // Stopped under it (the shutdown's grace ran out): not the job's failure, so hand it back.
    if (failure !== undefined && shutdown.signal.aborted) await handBack([job.id]);
    else await finish(job, failure);
  }

  /**
   * Returns jobs this runner holds to the queue at once, due now and without counting the attempt,
   * so another runner takes them over on its next poll instead of after the lease runs out. A job
   * handed back may have done part of its work: jobs are written to be run again (as after a crash).
   */
  async function handBack(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const now = clock.now().toISOString();
    try {
      const handed = await handBackJobs(db, ids, runnerId, now);
      if (handed > 0) logger.info({ jobs: ids, handed }, 'runner stopping: jobs handed back');
      return handed;
    } catch (error) {
      logger.warn({ err: error }, 'could not hand back jobs; they are taken over when their lease runs out');
      return 0;
    }
  }

  /** Claims one batch of due jobs and runs it (and the failure paths due); returns how many ran. */
  async function runDue(): Promise<number> {
    const batch = await claim(options.concurrency);
    await Promise.all([...batch.run.map(execute), ...batch.bury.map(({ job, reason }) => bury(job, reason))]);
    return batch.run.length + batch.bury.length;
  }

  /** Runs batches until nothing is due (tests and the CLI use it). */
  async function drain(maxBatches = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const ran = await runDue();
      if (ran === 0) break;
      total += ran;
    }
    return total;
  }

  async function run(): Promise<void> {
    const outage = createOutageLog(logger);
    while (!stopping) {
      let ran = 0;
      try {
        const now = clock.now().getTime();
        if (jobs.recurring().length > 0 && Math.abs(now - lastScheduled) >= SCHEDULE_EVERY_MS) {
          lastScheduled = now;
          await scheduleRecurring();
        }
        ran = await runDue();
        outage.succeeded();
      } catch (error) {
        outage.failed(error);
      }
      if (ran < options.concurrency && !stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollIntervalMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = null;
      }
    }
  }

  return {
    id: runnerId,
    runDue,
    drain,
    scheduleRecurring,
    start(): void {
      if (!loop) loop = run();
    },
    /** Asks the loop to look for due jobs now instead of at the next poll. */
    wake(): void {
      wakeUp?.();
    },
    /**
     * Stops claiming and lets running jobs finish. After `graceMs` their signal is aborted and each
     * job that stops is handed back (queued again, due now, the attempt not counted); a job that
     * ignores its signal for another `graceMs` is handed back all the same and left behind (its late
     * answer no longer matches its lease, so it changes nothing).
     */
    async stop(graceMs = 10_000): Promise<void> {
      stopping = true;
      wakeUp?.();
      let timer: NodeJS.Timeout | undefined;
      const abandoned = new Promise<'abandoned'>((resolve) => {
        timer = setTimeout(() => {
          shutdown.abort();
          timer = setTimeout(() => resolve('abandoned'), graceMs);
        }, graceMs);
      });
      const outcome = await Promise.race([loop ?? Promise.resolve(), abandoned]);
      clearTimeout(timer);
      if (outcome === 'abandoned') await handBack([...running]);
      loop = null;
    },
  };
}

export type Runner = ReturnType<typeof createRunner>;
