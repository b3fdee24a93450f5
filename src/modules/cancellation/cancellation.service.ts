import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { isLocale, type Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { CancellationStatus } from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { IdentityService } from '../identity/identity.service.js';
import { getAccountRow } from '../identity/identity.store.js';
import type { LinesService } from '../lines/lines.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { registerCancellationJobs } from './cancellation.jobs.js';
import type { RecordedChecks } from './cancellation.schemas.js';
import {
  activeReviewers,
  type CancellationRequestRow as CancellationRequestsTable,
  eventsOfRequest,
  findRequest,
  findRequestOfAccount,
  getRequest,
  hasRequestIn,
  insertEvent,
  insertRequest,
  latestRequestOfAccount,
  moveRequest,
  overdueDueDates,
  queuedRequests,
  requestsOfAccount,
} from './cancellation.store.js';
import type { Eligibility } from './eligibility.js';
import { createReviewFacts } from './review-facts.js';

export const REASON_CODES = [
  'no_longer_needed',
  'cost',
  'lost_or_stolen',
  'switching_operator',
  'other',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
export const OPEN: CancellationStatus[] = ['submitted', 'in_review', 'info_requested', 'approved'];
const SYSTEM: Actor = { type: 'system', id: 'cancellation' };
const _DAY_MS = 86_400_000;

/**
 * Closing an account (R8–R10): submit with a reason → automatic checks → staff review within the
 * policy's business days (approve, ask for information, reject) → deregistration effects by the runner.
 * Every transition bumps the request's version, so two reviewers deciding at once cannot both win.
 */
export function createCancellationService(deps: {
  db: Db;
  clock: Clock;
  policies: Pick<PolicyService, 'get' | 'calendar'>;
  jobs: Pick<Jobs, 'register' | 'registerRecurring' | 'enqueue'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify' | 'notifyAll'>;
  eligibility: Eligibility;
  identity: Pick<IdentityService, 'changeStatus' | 'revokeAllSessions'>;
  lines: Pick<LinesService, 'terminateAccountLines' | 'list'>;
}) {
  const { db, clock, audit } = deps;
  const now = () => clock.now().toISOString();
  const facts = createReviewFacts({ db, lines: deps.lines, eligibility: deps.eligibility });

  const { checksJob, deregisterJob } = registerCancellationJobs(deps.jobs, {
    runChecks,
    deregister,
    remindOverdue,
  });

  /** Once a day: if requests are past their due date, every active reviewer and admin gets one email. */
  async function remindOverdue(): Promise<void> {
    const overdue = await overdueDueDates(db, now());
    if (overdue.length === 0) return;
    const { operatorTimeZone } = await deps.policies.get();
    await db.transaction().execute(async (tx) => {
      const reviewers = await activeReviewers(tx);
      await deps.notifications.notifyAll(
        tx,
        reviewers.map((reviewer) => ({
          recipient: reviewer,
          template: 'cancellation_overdue' as const,
          channels: ['email' as const],
          params: {
            count: overdue.length,
            oldest: new Intl.DateTimeFormat(reviewer.locale, {
              dateStyle: 'long',
              timeZone: operatorTimeZone,
            }).format(new Date(overdue[0]!.due_by)),
          },
        })),
      );
    });
  }

  const account = getAccountRow;
  const localeOf = (l: string): Locale => (isLocale(l) ? l : 'en');

  /** Moves a request from one of `from` to `to`, if nobody changed it since `version`; records the event. */
  async function transition(
    tx: Executor,
    request: CancellationRequestsTable,
    from: CancellationStatus[],
    to: CancellationStatus,
    actor: Actor,
    note: string | null,
    extra: { checks?: string } = {},
  ) {
    if (!from.includes(request.status))
      throw new AppError('INVALID_TRANSITION', { status: request.status, to });
    const moved = await moveRequest(tx, request, { status: to, checks: extra.checks, at: now() });
    if (!moved) throw new AppError('REQUEST_CHANGED', { id: request.id });
    await insertEvent(tx, {
      id: newId('cev', clock.now().getTime()),
      request_id: request.id,
      status: to,
      note,
      actor_type: actor.type,
      actor_id: actor.id,
      at: now(),
    });
    await audit.record(tx, {
      actor,
      action: `cancellation.${to}`,
      subject: { type: 'cancellation', id: request.id },
      accountId: request.account_id,
      before: { status: request.status },
      after: { status: to },
    });
  }

  async function submit(
    accountId: string,
    input: { reasonCode?: ReasonCode; reason?: string },
    caller: Caller,
  ) {
    const { actor } = caller;
    const owner = await account(db, accountId);
    if (owner.status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status: owner.status });
    const check = await deps.eligibility.check(accountId, localeOf(owner.locale));
    if (!check.eligible) throw new AppError('NOT_ELIGIBLE', { blockers: check.blockers });
    const submittedAt = clock.now();
    const policy = await deps.policies.get();
    const calendar = await deps.policies.calendar();
    const dueBy = calendar.addBusinessDays(submittedAt, policy.reviewDays).toISOString();
    const id = newId('req', submittedAt.getTime());
    try {
      await db.transaction().execute(async (tx) => {
        await insertRequest(tx, {
          id,
          account_id: accountId,
          status: 'submitted',
          reason_code: input.reasonCode ?? null,
          reason: input.reason ?? null,
          submitted_at: submittedAt.toISOString(),
          due_by: dueBy,
          checks: null,
          updated_at: now(),
        });
        await insertEvent(tx, {
          id: newId('cev', submittedAt.getTime()),
          request_id: id,
          status: 'submitted',
          note: null,
          actor_type: actor.type,
          actor_id: actor.id,
          at: now(),
        });
        await deps.identity.changeStatus(tx, accountId, 'cancellation_pending');
        await deps.jobs.enqueue(tx, checksJob, { requestId: id }, { idempotencyKey: `checks:${id}` });
        await audit.record(tx, {
          actor,
          action: 'cancellation.submitted',
          subject: { type: 'cancellation', id },
          accountId,
          after: { reasonCode: input.reasonCode ?? null, dueBy },
          requestId: caller.requestId,
        });
        const due = new Intl.DateTimeFormat(owner.locale, {
          dateStyle: 'long',
          timeZone: policy.operatorTimeZone,
        }).format(new Date(dueBy));
        await deps.notifications.notify(tx, owner, 'cancellation_submitted', { dueBy: due });
      });
    } catch (error) {
      if (String(error).match(/unique|UNIQUE|cancellation_one_open/))
        throw new AppError('NOT_ELIGIBLE', { blockers: [{ code: 'REQUEST_OPEN' }] });
      throw error;
    }
    return latest(accountId);
  }

  async function ownRequest(executor: Executor, accountId: string, requestId: string) {
    const r = await findRequestOfAccount(executor, accountId, requestId);
    if (!r) throw new AppError('REQUEST_NOT_FOUND', { field: 'id' });
    return r;
  }

  async function withdraw(accountId: string, requestId: string, caller: Caller) {
    await db.transaction().execute(async (tx) => {
      const r = await ownRequest(tx, accountId, requestId);
      await transition(tx, r, ['submitted', 'in_review', 'info_requested'], 'withdrawn', caller.actor, null);
      await deps.identity.changeStatus(tx, accountId, 'active');
    });
    return latest(accountId);
  }

  async function resubmit(accountId: string, requestId: string, info: string, caller: Caller) {
    await db.transaction().execute(async (tx) => {
      const r = await ownRequest(tx, accountId, requestId);
      await transition(tx, r, ['info_requested'], 'in_review', caller.actor, info);
    });
    return latest(accountId);
  }

  /** Runner: the automatic checks, recorded on the request; with auto-approval a clean request is approved by the system. */
  async function runChecks(requestId: string) {
    const r = await getRequest(db, requestId);
    if (r.status !== 'submitted') return;
    const owner = await account(db, r.account_id);
    const check = await deps.eligibility.check(r.account_id, localeOf(owner.locale), r.id);
    const recorded: RecordedChecks = {
      at: now(),
      passed: check.eligible,
      blockers: check.blockers.map((b) => ({ code: b.code, details: b.details })),
    };
    const checks = JSON.stringify(recorded);
    const { autoApprove } = await deps.policies.get();
    await db.transaction().execute(async (tx) => {
      await transition(tx, r, ['submitted'], 'in_review', SYSTEM, null, { checks });
      if (autoApprove && check.eligible) {
        const fresh = await getRequest(tx, requestId);
        await approveIn(tx, fresh, SYSTEM, 'approved automatically: every check passed');
      }
    });
  }

  async function approveIn(tx: Executor, r: CancellationRequestsTable, actor: Actor, note: string | null) {
    await transition(tx, r, ['in_review'], 'approved', actor, note);
    await deps.jobs.enqueue(tx, deregisterJob, { requestId: r.id }, { idempotencyKey: `deregister:${r.id}` });
    await deps.notifications.notify(tx, await account(tx, r.account_id), 'cancellation_approved');
  }

  async function decide(
    requestId: string,
    input: { decision: 'approve' | 'request_info' | 'reject'; note?: string; version?: number },
    caller: Caller,
  ) {
    const { actor } = caller;
    const r = await findRequest(db, requestId);
    if (!r) throw new AppError('REQUEST_NOT_FOUND', { field: 'id' });
    if (input.version !== undefined && input.version !== r.version)
      throw new AppError('REQUEST_CHANGED', { id: r.id });
    const note = input.note?.trim() || null;
    if (input.decision !== 'approve' && !note)
      throw new AppError(
        'VALIDATION_FAILED',
        { field: 'note', in: 'body' },
        { reason: 'a note is required' },
      );
    const owner = await account(db, r.account_id);
    if (input.decision === 'approve') {
      const check = await deps.eligibility.check(r.account_id, localeOf(owner.locale), r.id);
      if (!check.eligible) throw new AppError('NOT_ELIGIBLE', { blockers: check.blockers });
    }
    await db.transaction().execute(async (tx) => {
      if (input.decision === 'approve') await approveIn(tx, r, actor, note);
      else if (input.decision === 'request_info') {
        await transition(tx, r, ['in_review'], 'info_requested', actor, note);
        await deps.notifications.notify(tx, owner, 'cancellation_info_requested', { note: note ?? '' });
      } else {
        // The diagram (DESIGN.md): a reviewer rejects a request under review; one waiting for the
        // subscriber's answer is decided once it is resubmitted (or the subscriber withdraws it).
        await transition(tx, r, ['in_review'], 'rejected', actor, note);
        await deps.identity.changeStatus(tx, r.account_id, 'active');
        await deps.notifications.notify(tx, owner, 'cancellation_rejected', { note: note ?? '' });
      }
    });
    return staffView(await getRequest(db, requestId));
  }

  /** Runner: the effects of an approval, re-runnable until done; then the account is deregistered. */
  async function deregister(requestId: string) {
    await db.transaction().execute(async (tx) => {
      const r = await getRequest(tx, requestId);
      if (r.status !== 'approved') return;
      await deps.lines.terminateAccountLines(tx, r.account_id, 'account deregistered');
      await deps.identity.revokeAllSessions(tx, r.account_id);
      await deps.identity.changeStatus(tx, r.account_id, 'deregistered');
      await transition(tx, r, ['approved'], 'completed', SYSTEM, null);
      await deps.notifications.notify(tx, await account(tx, r.account_id), 'cancellation_completed');
    });
  }

  async function events(requestId: string) {
    const rows = await eventsOfRequest(db, requestId);
    return rows.map((e) => ({ status: e.status, at: e.at, note: e.note, actor: e.actor_type }));
  }

  async function latest(accountId: string) {
    const r = await latestRequestOfAccount(db, accountId);
    if (!r) throw new AppError('REQUEST_NOT_FOUND');
    return { id: r.id, status: r.status, ...submission(r), events: await events(r.id) };
  }

  /** What the subscriber said and when the answer is due (both views of a request). */
  function submission(r: CancellationRequestsTable) {
    return { reasonCode: r.reason_code, reason: r.reason, submittedAt: r.submitted_at, dueBy: r.due_by };
  }

  /** Every request of an account, newest first, each with its checks and timeline (customer 360). */
  async function history(accountId: string) {
    const rows = await requestsOfAccount(db, accountId);
    return Promise.all(rows.map(async (r) => ({ ...staffView(r), events: await events(r.id) })));
  }

  function staffView(r: CancellationRequestsTable) {
    return {
      id: r.id,
      accountId: r.account_id,
      status: r.status,
      ...submission(r),
      overdue: OPEN.slice(0, 3).includes(r.status) && r.due_by < now(),
      checks: r.checks ? (JSON.parse(r.checks) as RecordedChecks) : null,
      version: r.version,
    };
  }

  /** The review queue by due date, each request with the facts to decide it (in the reviewer's language). */
  async function queue(status: CancellationStatus | undefined, caller: Pick<Caller, 'locale'> = {}) {
    const locale = caller.locale ?? 'en';
    return Promise.all(
      (await queuedRequests(db, status)).map(async (r) => ({
        ...staffView(r),
        ...(await facts.of(r, locale)),
      })),
    );
  }

  async function hasOpen(executor: Executor, accountId: string) {
    return hasRequestIn(executor, accountId, OPEN);
  }

  return {
    submit,
    withdraw,
    resubmit,
    decide,
    latest,
    history,
    queue,
    recentDecisions: facts.recentDecisions,
    hasOpen,
    runChecks,
  };
}

export type CancellationService = ReturnType<typeof createCancellationService>;
