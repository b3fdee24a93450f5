import { type Static, type TSchema, Type } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Executor } from '../db/database.js';
import type { JobRow } from '../db/schema.js';
import {
  completeRunningJob,
  insertJob,
  insertJobs,
  insertJobWithoutKey,
  moveJobStatus,
} from './jobs.store.js';

export interface JobContext {
  job: JobRow;
  /** Aborted when the runner shuts down or the job's lease runs out. */
  signal: AbortSignal;
}

export interface DeadLetterContext extends JobContext {
  /** Why the job gave up: its last error, or that its lease ran out on the final attempt. */
  reason: string;
}

/** A kind of background work: its payload schema and handler live in the module that owns it. */
export interface JobDefinition<S extends TSchema = TSchema> {
  kind: string;
  payload: S;
  maxAttempts?: number;
  /** Runs outside any transaction. Throwing schedules a retry with backoff; it must be safe to run again. */
  handle(payload: Static<S>, context: JobContext): Promise<void>;
  /**
   * The failure path, run once the job has no attempt left, before it is dead-lettered: after a
   * failed final attempt, and after a final attempt whose runner died (its lease ran out). Runs
   * outside any transaction; throwing retries it later (the job stays undead until it succeeds), so
   * it must be safe to run again — and it may run while a stalled final attempt still does.
   */
  onDeadLetter?(payload: Static<S>, context: DeadLetterContext): Promise<void>;
}

export function defineJob<S extends TSchema>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

/** Work that runs once per period (a UTC day, an hour): the runner keeps one job queued per slot. */
export interface RecurringJob {
  kind: string;
  everyMs: number;
  /** Runs once per slot (the slot's start is given); like any job it is retried until it succeeds. */
  handle(slotStart: Date, context: JobContext): Promise<void>;
}

/** The start of the period `at` falls in (periods are aligned to the Unix epoch, so days are UTC days). */
export function slotOf(at: Date, everyMs: number): Date {
  return new Date(Math.floor(at.getTime() / everyMs) * everyMs);
}

export interface EnqueueOptions {
  runAt?: Date;
  /** Jobs with the same key are enqueued once; recurring work uses deterministic keys. */
  idempotencyKey?: string;
  maxAttempts?: number;
}

export function createJobs(deps: { clock: Clock; defaultMaxAttempts: number }) {
  const definitions = new Map<string, JobDefinition>();

  // Payloads are checked on every enqueue, often inside a transaction holding locks: compiled once.
  const validators = new WeakMap<JobDefinition, Validator>();
  function validatorOf(definition: JobDefinition): Validator {
    let validator = validators.get(definition);
    if (!validator) {
      validator = Compile(definition.payload) as Validator;
      validators.set(definition, validator);
    }
    return validator;
  }

  function register(...defs: JobDefinition[]): void {
    for (const def of defs) {
      if (definitions.has(def.kind)) throw new Error(`job kind ${def.kind} registered twice`);
      definitions.set(def.kind, def);
    }
  }

  /**
   * Writes a job into the caller's transaction (the outbox): it runs only if that transaction
   * commits. Returns the job id, or null when a job with the same idempotency key already exists.
   */
  async function enqueue<S extends TSchema>(
    executor: Executor,
    definition: JobDefinition<S>,
    payload: Static<S>,
    options: EnqueueOptions = {},
  ): Promise<string | null> {
    const [id = null] = await enqueueMany(executor, definition, [{ payload, options }]);
    return id;
  }

  /** Several jobs of one kind in one statement (same outbox rules as enqueue); returns the ids written. */
  async function enqueueMany<S extends TSchema>(
    executor: Executor,
    definition: JobDefinition<S>,
    items: Array<{ payload: Static<S>; options?: EnqueueOptions }>,
  ): Promise<string[]> {
    if (!definitions.has(definition.kind)) throw new Error(`job kind ${definition.kind} is not registered`);
    if (items.length === 0) return [];
    const now = deps.clock.now();
    const rows = items.map(({ payload, options = {} }) => {
      const check = validatorOf(definition);
      if (!check.Check(payload)) {
        const first = check.Errors(payload)[0];
        throw new Error(
          `invalid payload for job ${definition.kind}: ${first?.instancePath} ${first?.message}`,
        );
      }
      return {
        id: newId('job', now.getTime()),
        kind: definition.kind,
        payload: JSON.stringify(payload),
        status: 'queued' as const,
        run_at: (options.runAt ?? now).toISOString(),
        attempts: 0,
        max_attempts: options.maxAttempts ?? definition.maxAttempts ?? deps.defaultMaxAttempts,
        idempotency_key: options.idempotencyKey ?? null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      };
    });
    if (rows.length === 1) {
      const [row] = rows as [(typeof rows)[0]];
      const { id, kind, payload, run_at, max_attempts, idempotency_key, created_at } = row;
      // Without a key the row is always written: no need to wait for it in a transaction (the next
      // statement or the commit reports a failure). With one, the answer says whether it was.
      if (idempotency_key === null) {
        await insertJobWithoutKey.later(executor, id, kind, payload, run_at, max_attempts, created_at);
        return [id];
      }
      const written = await insertJob(
        executor,
        id,
        kind,
        payload,
        run_at,
        max_attempts,
        idempotency_key,
        created_at,
      );
      return written.map((r) => r.id);
    }
    const written = await insertJobs(executor, rows);
    return written.map((r) => r.id);
  }

  const recurring: RecurringJob[] = [];
  const SlotPayload = Type.Object({ slot: Type.String() });

  /**
   * Registers periodic work. Each slot's job has the deterministic key `every:<kind>:<slot start>`, so
   * any number of runners schedule it once; when it finishes it queues the next slot's job.
   */
  function registerRecurring(job: RecurringJob): void {
    recurring.push(job);
    const definition = defineJob({
      kind: job.kind,
      payload: SlotPayload,
      handle: async ({ slot }, context) => {
        // A slot that is already over (the runners were down) is left to the current slot's job.
        if (slotOf(deps.clock.now(), job.everyMs).getTime() > Date.parse(slot)) return;
        await job.handle(new Date(slot), context);
      },
    });
    register(definition);
  }

  /** The current slot's job of every recurring kind (a no-op for a slot already queued or done). */
  async function scheduleRecurring(executor: Executor, at: Date = deps.clock.now()): Promise<void> {
    for (const job of recurring) {
      const definition = definitions.get(job.kind) as JobDefinition<typeof SlotPayload>;
      const slot = slotOf(at, job.everyMs).toISOString();
      await enqueue(
        executor,
        definition,
        { slot },
        { runAt: at, idempotencyKey: `every:${job.kind}:${slot}` },
      );
    }
  }

  /**
   * Marks a running job done inside the transaction that holds its effects, so that a crash after
   * the commit cannot run it twice. False when the job is no longer this runner's (its lease ran out
   * and another runner took it): the caller must then roll back and leave the work to that runner.
   * `scrubPayload` replaces a payload that carried personal data once it has served.
   */
  async function completeIn(
    tx: Executor,
    job: JobRow,
    options: { scrubPayload?: unknown } = {},
  ): Promise<boolean> {
    const now = deps.clock.now().toISOString();
    const scrub = options.scrubPayload === undefined ? {} : { payload: JSON.stringify(options.scrubPayload) };
    return completeRunningJob(tx, job, now, scrub);
  }

  /**
   * Moves a job out of `from` (staff retrying or cancelling it) only if it is still there: false when
   * a runner or another staff member changed it first.
   */
  async function moveStatus(
    executor: Executor,
    id: string,
    from: JobRow['status'],
    set: { status: JobRow['status']; attempts?: number; run_at?: string; finished_at: string | null },
  ): Promise<boolean> {
    return moveJobStatus(executor, id, from, set, deps.clock.now().toISOString());
  }

  return {
    moveStatus,
    register,
    registerRecurring,
    completeIn,
    scheduleRecurring,
    recurring: () => [...recurring],
    enqueue,
    enqueueMany,
    definition: (kind: string) => definitions.get(kind),
    kinds: () => [...definitions.keys()],
  };
}

export type Jobs = ReturnType<typeof createJobs>;
