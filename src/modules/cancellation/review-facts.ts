import type { Locale } from '../../core/i18n.js';
import type { Db } from '../../db/database.js';
import { maskTarget } from '../identity/normalize.js';
import type { LinesService } from '../lines/lines.service.js';
import {
  customerOfRequest,
  decisionsWithAccounts,
  emailsOfAccounts,
  eventsOfRequest,
} from './cancellation.store.js';
import type { Eligibility } from './eligibility.js';

/** The decisions a reviewer takes; "recently decided" lists these. */
export const DECISIONS = ['approved', 'info_requested', 'rejected'] as const;
type Decision = (typeof DECISIONS)[number];

/** Enough of an address to recognise the customer without showing it whole. */
export function maskedContact(account: { email: string | null; phone: string | null }): string | null {
  const contact = account.email ?? account.phone;
  return contact ? maskTarget(contact) : null;
}

/**
 * What a reviewer needs beside a request to decide it (issue 21 item 5): who the customer is (masked
 * contact, customer since, lines), the request's whole history with who said what, and the checks
 * as they stand now, in the reviewer's language.
 */
export function createReviewFacts(deps: {
  db: Db;
  lines: Pick<LinesService, 'list'>;
  eligibility: Eligibility;
}) {
  const { db } = deps;

  async function emailsOf(ids: (string | null)[]) {
    const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
    if (wanted.length === 0) return new Map<string, string | null>();
    const rows = await emailsOfAccounts(db, wanted);
    return new Map(rows.map((r) => [r.id, r.email]));
  }

  async function customer(accountId: string, locale: Locale) {
    const account = await customerOfRequest(db, accountId);
    const lines = await deps.lines.list(accountId, locale);
    return {
      contact: maskedContact(account),
      status: account.status,
      createdAt: account.created_at,
      lines: lines.map((l) => ({
        id: l.id,
        msisdn: l.msisdn,
        status: l.status,
        planName: l.planName,
        expiresAt: l.expiresAt,
      })),
    };
  }

  /** Every event of the request, oldest first; staff are named by their email address. */
  async function history(requestId: string) {
    const rows = await eventsOfRequest(db, requestId);
    const emails = await emailsOf(rows.filter((e) => e.actor_type === 'staff').map((e) => e.actor_id));
    return rows.map((e) => ({
      status: e.status,
      at: e.at,
      note: e.note,
      actor: e.actor_type,
      actorEmail: e.actor_type === 'staff' && e.actor_id ? (emails.get(e.actor_id) ?? null) : null,
    }));
  }

  async function checksNow(request: { id: string; account_id: string }, locale: Locale) {
    const check = await deps.eligibility.check(request.account_id, locale, request.id);
    return {
      eligible: check.eligible,
      blockers: check.blockers.map((b) => ({ code: b.code, message: b.message })),
    };
  }

  /** The facts for one request. */
  async function of(request: { id: string; account_id: string }, locale: Locale) {
    const [who, events, checks] = await Promise.all([
      customer(request.account_id, locale),
      history(request.id),
      checksNow(request, locale),
    ]);
    return { customer: who, events, checksNow: checks };
  }

  /** The latest decisions taken by reviewers (or by auto-approval), newest first. */
  async function recentDecisions(limit: number) {
    const rows = await decisionsWithAccounts(db, DECISIONS, limit);
    const emails = await emailsOf(rows.map((r) => (r.actor_type === 'staff' ? r.actor_id : null)));
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      contact: maskedContact(r),
      decision: r.decision as Decision,
      status: r.status,
      note: r.note,
      decidedAt: r.at,
      decidedBy: {
        type: r.actor_type,
        email: r.actor_type === 'staff' && r.actor_id ? (emails.get(r.actor_id) ?? null) : null,
      },
    }));
  }

  return { of, recentDecisions };
}
