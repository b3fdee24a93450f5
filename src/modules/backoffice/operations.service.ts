import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { type Metrics, scrapedGauge } from '../../core/metrics.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db } from '../../db/database.js';
import type { AccountRole, JobRow, JobStatus } from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { IdentityService } from '../identity/identity.service.js';
import { normalizeEmail } from '../identity/normalize.js';
import type { NotificationService } from '../notifications/notifications.service.js';

type StaffRole = Exclude<AccountRole, 'subscriber'>;
const WEEK_MS = 7 * 86_400_000;

/** A runner job as staff see it. */
function presentJob(j: JobRow) {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    attempts: j.attempts,
    maxAttempts: j.max_attempts,
    runAt: j.run_at,
    lastError: j.last_error,
    createdAt: j.created_at,
    finishedAt: j.finished_at,
  };
}

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

/**
 * Running the service: staff accounts (invite, change role, disable), the runner's jobs (see, retry,
 * cancel) and the service-level figures regulators and managers ask for.
 */
export function createOperations(deps: {
  db: Db;
  /** Heavy reads that may lag a little (the dashboards): on a read replica when there is one. */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  clock: Clock;
  config: Config;
  audit: AuditService;
  identity: IdentityService;
  notifications: NotificationService;
  metrics: Metrics;
  jobs: Pick<Jobs, 'moveStatus'>;
}) {
  const { db, clock, audit } = deps;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));

  // Staff ---------------------------------------------------------------------------------------

  async function staffList() {
    const rows = await db
      .selectFrom('accounts')
      .select(['id', 'email', 'role', 'locale', 'disabled_at', 'created_at'])
      .where('role', '!=', 'subscriber')
      .orderBy('email')
      .execute();
    return {
      items: rows.map((r) => ({
        id: r.id,
        email: r.email,
        role: r.role as StaffRole,
        locale: r.locale,
        disabled: r.disabled_at !== null,
        createdAt: r.created_at,
      })),
      nextCursor: null,
    };
  }

  /** Creates a staff account and emails an invitation; an existing staff address gets STAFF_EXISTS. */
  async function invite(input: { email: string; role: StaffRole; locale?: 'en' | 'zh-CN' }, actor: Actor) {
    const email = normalizeEmail(input.email);
    const existing = await db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    if (existing) throw new AppError('STAFF_EXISTS', { field: 'email' });
    const { id } = await deps.identity.addStaff({ email, role: input.role, locale: input.locale }, actor);
    await db.transaction().execute(async (tx) => {
      const account = await tx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await deps.notifications.notify(
        tx,
        account,
        'staff_invited',
        { role: input.role, url: `${deps.config.publicUrl}/staff` },
        ['email'],
      );
    });
    return (await staffList()).items.find((s) => s.id === id)!;
  }

  /** Changes a staff member's role or disables/enables them; disabling signs them out everywhere. */
  async function updateStaff(id: string, input: { role?: StaffRole; disabled?: boolean }, actor: Actor) {
    if (id === actor.id) throw new AppError('SELF_CHANGE', { field: 'id' });
    await db.transaction().execute(async (tx) => {
      const member = await tx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', id)
        .where('role', '!=', 'subscriber')
        .executeTakeFirst();
      if (!member) throw new AppError('ACCOUNT_NOT_FOUND', { id });
      const now = clock.now().toISOString();
      const disabledAt =
        input.disabled === undefined
          ? member.disabled_at
          : input.disabled
            ? (member.disabled_at ?? now)
            : null;
      await deps.identity.setStaffAccess(tx, id, { role: input.role ?? member.role, disabledAt });
      await audit.record(tx, {
        actor,
        action: 'staff.updated',
        subject: { type: 'account', id },
        accountId: id,
        before: { role: member.role, disabled: member.disabled_at !== null },
        after: { role: input.role ?? member.role, disabled: disabledAt !== null },
      });
    });
    return (await staffList()).items.find((s) => s.id === id)!;
  }

  // Jobs ----------------------------------------------------------------------------------------

  async function jobsList(query: { status?: JobStatus | 'retrying'; cursor?: string; limit: number }) {
    let q = db
      .selectFrom('jobs')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.status === 'retrying') q = q.where('status', '=', 'queued').where('attempts', '>', 0);
    else if (query.status) q = q.where('status', '=', query.status);
    const after = decodeCursor(query.cursor);
    if (after) q = q.where('id', '<', after);
    const result = page(await q.execute(), query.limit);
    return {
      items: result.items.map(presentJob),
      nextCursor: result.nextCursor,
    };
  }

  /** A dashboard figure: read on a replica when there is one. */
  function jobCounts() {
    return reading((on) => jobCountsOn(on));
  }

  async function jobCountsOn(db: Db) {
    const rows = await db
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const retrying = await db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'queued')
      .where('attempts', '>', 0)
      .executeTakeFirstOrThrow();
    const of = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return {
      queued: of('queued'),
      running: of('running'),
      retrying: Number(retrying.n),
      dead: of('dead'),
      succeeded: of('succeeded'),
      cancelled: of('cancelled'),
    };
  }

  /** A dead (or waiting) job runs again now with a fresh set of attempts. */
  async function retryJob(id: string, actor: Actor) {
    return changeJob(id, ['dead', 'queued'], actor, 'job.retried', {
      status: 'queued',
      attempts: 0,
      run_at: clock.now().toISOString(),
      finished_at: null,
    });
  }

  /** A queued job is dropped (the work is no longer wanted). */
  async function cancelJob(id: string, actor: Actor) {
    return changeJob(id, ['queued'], actor, 'job.cancelled', {
      status: 'cancelled',
      finished_at: clock.now().toISOString(),
    });
  }

  async function changeJob(
    id: string,
    from: JobStatus[],
    actor: Actor,
    action: string,
    set: { status: JobStatus; attempts?: number; run_at?: string; finished_at: string | null },
  ) {
    await db.transaction().execute(async (tx) => {
      const job = await tx.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!job) throw new AppError('JOB_NOT_FOUND', { id });
      if (!from.includes(job.status)) throw new AppError('JOB_NOT_RETRYABLE', { status: job.status });
      if (!(await deps.jobs.moveStatus(tx, id, job.status, set)))
        throw new AppError('JOB_NOT_RETRYABLE', { status: 'changed' });
      await audit.record(tx, {
        actor,
        action,
        subject: { type: 'job', id },
        before: { status: job.status, attempts: job.attempts },
        after: { status: set.status },
      });
    });
    return jobById(id);
  }

  async function jobById(id: string) {
    return presentJob(await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  }

  // Service levels -------------------------------------------------------------------------------

  /**
   * Cancellation review: per ISO week of submission, time to the first decision (approve, request
   * information, reject) in hours — median, p90, max — and the outcomes; plus what is overdue now.
   * Read on a replica when there is one.
   */
  function cancellationServiceLevels(weeks = 12) {
    return reading((on) => cancellationServiceLevelsOn(on, weeks));
  }

  async function cancellationServiceLevelsOn(db: Db, weeks: number) {
    const since = new Date(clock.now().getTime() - weeks * WEEK_MS).toISOString();
    const requests = await db
      .selectFrom('cancellation_requests')
      .select(['id', 'status', 'submitted_at', 'due_by'])
      .where('submitted_at', '>=', since)
      .execute();
    const events = requests.length
      ? await db
          .selectFrom('cancellation_events')
          .select(['request_id', 'status', 'at', 'actor_type'])
          .where('status', 'in', ['approved', 'info_requested', 'rejected', 'withdrawn'])
          .where(
            'request_id',
            'in',
            requests.map((r) => r.id),
          )
          .orderBy('id')
          .execute()
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
    const overdue = await db
      .selectFrom('cancellation_requests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['submitted', 'in_review', 'info_requested'])
      .where('due_by', '<', clock.now().toISOString())
      .executeTakeFirstOrThrow();
    const open = await db
      .selectFrom('cancellation_requests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['submitted', 'in_review', 'info_requested'])
      .executeTakeFirstOrThrow();
    return {
      openNow: Number(open.n),
      overdueNow: Number(overdue.n),
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
    return reading((on) => ticketServiceLevelsOn(on, weeks));
  }

  async function ticketServiceLevelsOn(db: Db, weeks: number) {
    const since = new Date(clock.now().getTime() - weeks * WEEK_MS).toISOString();
    const tickets = await db
      .selectFrom('tickets')
      .select(['created_at', 'first_response_at', 'status'])
      .where('created_at', '>=', since)
      .execute();
    const byWeek = new Map<string, { opened: number; hours: number[] }>();
    for (const t of tickets) {
      const week = weekOf(new Date(t.created_at));
      const bucket = byWeek.get(week) ?? { opened: 0, hours: [] };
      bucket.opened++;
      if (t.first_response_at) bucket.hours.push(hoursBetween(t.created_at, t.first_response_at));
      byWeek.set(week, bucket);
    }
    const open = await db
      .selectFrom('tickets')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '!=', 'closed')
      .groupBy('status')
      .execute();
    const unanswered = await db
      .selectFrom('tickets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'open')
      .where('first_response_at', 'is', null)
      .executeTakeFirstOrThrow();
    return {
      openNow: open.reduce((s, r) => s + Number(r.n), 0),
      waitingOnSupportNow: Number(open.find((r) => r.status === 'open')?.n ?? 0),
      unansweredNow: Number(unanswered.n),
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

  registerGauges(deps.metrics, { cancellationServiceLevels, ticketServiceLevels });

  return {
    staffList,
    invite,
    updateStaff,
    jobsList,
    jobCounts,
    retryJob,
    cancelJob,
    cancellationServiceLevels,
    ticketServiceLevels,
    cancellationServiceLevelsCsv,
  };
}

export type Operations = ReturnType<typeof createOperations>;

/** Prometheus gauges of the service levels, computed at scrape time over the last four weeks. */
function registerGauges(
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
