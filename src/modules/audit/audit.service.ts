import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Executor } from '../../db/database.js';
import type { ActorType, AuditRow } from '../../db/schema.js';
import * as store from './audit.store.js';

export interface Actor {
  type: ActorType;
  id: string | null;
}

export const SYSTEM: Actor = { type: 'system', id: null };

export interface AuditEntry {
  actor: Actor;
  action: string;
  subject: { type: string; id: string };
  /** The account the change concerns (for the customer's trail). */
  accountId?: string | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

export interface AuditFilter {
  subject?: string;
  accountId?: string;
  /** An exact action (cancellation.approved) or a prefix ending in a dot (cancellation.). */
  action?: string;
  actorId?: string;
  /** An account id or a staff member's email address. */
  actor?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

export function createAuditService(deps: { db: Db; clock: Clock }) {
  /** Appends one row; call it inside the transaction that makes the change. */
  async function record(executor: Executor, entry: AuditEntry): Promise<void> {
    const now = deps.clock.now();
    // An audit row is never read back by the code that writes it: in a transaction, its next
    // statement or commit reports a failure (see prepared.ts, Wait).
    await store.appendEntry(executor, {
      id: newId('aud', now.getTime()),
      actor_type: entry.actor.type,
      actor_id: entry.actor.id,
      action: entry.action,
      subject_type: entry.subject.type,
      subject_id: entry.subject.id,
      account_id: entry.accountId ?? null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
      request_id: entry.requestId ?? null,
      created_at: now.toISOString(),
    });
  }

  /** The trail, newest first, by the filter's fields (all of them together). */
  async function list(filter: AuditFilter) {
    const actor = filter.actor?.trim();
    const rows = await store.entries(deps.db, {
      subject: filter.subject,
      accountId: filter.accountId,
      action: filter.action,
      actorId: filter.actorId,
      actorAlso: actor && !actor.includes('@') ? actor : undefined,
      actorEmail: actor?.includes('@') ? actor.toLowerCase() : undefined,
      from: filter.from,
      to: filter.to,
      before: decodeCursor(filter.cursor),
      limit: filter.limit + 1,
    });
    const result = page(rows, filter.limit);
    const emails = await staffEmails(result.items);
    return {
      items: result.items.map((row) => present(row, emails.get(row.actor_id ?? '') ?? null)),
      nextCursor: result.nextCursor,
    };
  }

  /** Staff are named by their email address in the trail, not by an id. */
  async function staffEmails(rows: AuditRow[]) {
    const ids = [
      ...new Set(rows.filter((r) => r.actor_type === 'staff' && r.actor_id).map((r) => r.actor_id!)),
    ];
    if (ids.length === 0) return new Map<string, string>();
    const accounts = await store.emailsOf(deps.db, ids);
    return new Map(accounts.flatMap((a) => (a.email ? [[a.id, a.email] as const] : [])));
  }

  return { record, list };
}

function present(row: AuditRow, actorEmail: string | null) {
  return {
    id: row.id,
    actor: { type: row.actor_type, id: row.actor_id, email: actorEmail },
    action: row.action,
    subject: { type: row.subject_type, id: row.subject_id },
    accountId: row.account_id,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    requestId: row.request_id,
    createdAt: row.created_at,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
