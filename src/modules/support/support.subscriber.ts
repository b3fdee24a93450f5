import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Dialect, Executor } from '../../db/database.js';
import type { TicketCategory } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import {
  findAccount,
  insertTicket,
  lockTicketsOfAccount,
  relatedOfAccountExists,
  reopenTicket,
  ticketPageOfAccount,
  ticketsOpenedSince,
} from './support.store.js';
import { excerpt, present, type RelatedType, type TicketRow, type Tickets } from './support.tickets.js';

const DAY_MS = 86_400_000;

/** The subscriber's side: open a ticket (within the daily limit), read, reply, close. */
export function createSubscriberTickets(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  policies: Pick<PolicyService, 'get'>;
  tickets: Tickets;
}) {
  const { db, clock, audit, notifications } = deps;
  const { ticketOf, addMessage, view, setStatus } = deps.tickets;

  async function open(
    accountId: string,
    input: {
      subject: string;
      message: string;
      category?: TicketCategory;
      related?: { type: RelatedType; id: string };
    },
    caller: Caller,
  ) {
    const { ticketsPerDay } = await deps.policies.get();
    return db.transaction().execute(async (tx) => {
      await withinDailyTickets(tx, accountId, ticketsPerDay);
      if (input.related && !(await relatedOfAccountExists(tx, accountId, input.related)))
        throw new AppError('RELATED_NOT_FOUND', { field: 'related.id' });
      const now = clock.now().toISOString();
      const ticket: TicketRow = {
        id: newId('tkt', clock.now().getTime()),
        account_id: accountId,
        subject: input.subject.trim(),
        category: input.category ?? 'general',
        related_type: input.related?.type ?? null,
        related_id: input.related?.id ?? null,
        status: 'open',
        assignee_id: null,
        first_response_at: null,
        last_message_at: now,
        created_at: now,
        updated_at: now,
        closed_at: null,
      };
      await insertTicket(tx, ticket);
      await addMessage(tx, ticket.id, 'subscriber', accountId, input.message);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'ticket.opened',
        subject: { type: 'ticket', id: ticket.id },
        accountId,
        after: { category: ticket.category, related: input.related ?? null },
        requestId: caller.requestId,
      });
      return view(tx, ticket);
    });
  }

  /** At most the policy's number of new tickets per subscriber per 24 hours (429 TICKET_LIMIT_REACHED). */
  async function withinDailyTickets(tx: Executor, accountId: string, max: number) {
    await lockTicketsOfAccount(tx, deps.dialect, accountId);
    const since = new Date(clock.now().getTime() - DAY_MS).toISOString();
    const recent = await ticketsOpenedSince(tx, accountId, since);
    if (recent.length < max) return;
    const retryAt = new Date(
      new Date(recent[recent.length - max]!.created_at).getTime() + DAY_MS,
    ).toISOString();
    throw new AppError(
      'TICKET_LIMIT_REACHED',
      { limit: 'ticketsPerDay', max, retryAt },
      {
        max,
        retryAt: retryAt.slice(0, 16).replace('T', ' '),
        retryAfter: Math.max(1, Math.ceil((Date.parse(retryAt) - clock.now().getTime()) / 1000)),
      },
    );
  }

  async function listMine(accountId: string, query: { cursor?: string; limit: number }) {
    const after = decodeCursor(query.cursor);
    const rows = await ticketPageOfAccount(db, accountId, query.limit, after);
    const result = page(rows, query.limit);
    return { items: result.items.map(present), nextCursor: result.nextCursor };
  }

  async function getMine(accountId: string, ticketId: string) {
    return view(db, await ticketOf(db, ticketId, accountId));
  }

  async function replyAsSubscriber(accountId: string, ticketId: string, message: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId, accountId);
      const now = clock.now().toISOString();
      // A reply reopens a closed ticket: the customer is not done.
      await reopenTicket(tx, ticket.id, now);
      await addMessage(tx, ticket.id, 'subscriber', accountId, message);
      if (ticket.assignee_id) {
        const agent = await findAccount(tx, ticket.assignee_id);
        if (agent && !agent.disabled_at) {
          await notifications.notify(
            tx,
            agent,
            'ticket_customer_reply',
            { ticket: ticket.id, subject: ticket.subject, excerpt: excerpt(message) },
            ['email'],
          );
        }
      }
      await audit.record(tx, {
        actor: caller.actor,
        action: 'ticket.customer_replied',
        subject: { type: 'ticket', id: ticket.id },
        accountId,
      });
      return view(tx, await ticketOf(tx, ticket.id));
    });
  }

  async function closeMine(accountId: string, ticketId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId, accountId);
      await setStatus(tx, ticket, 'closed', caller.actor);
      return view(tx, await ticketOf(tx, ticket.id));
    });
  }

  return { open, listMine, getMine, replyAsSubscriber, closeMine };
}
