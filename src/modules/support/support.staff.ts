import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db } from '../../db/database.js';
import type { TicketStatus } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import { accountAccess, assignTicket, getAccount, markTicketAnswered, queuePage } from './support.store.js';
import { excerpt, presentForStaff, type QueueView, type Tickets } from './support.tickets.js';

/** Support's side: the queue, answers and internal notes, assignment and status. */
export function createStaffTickets(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  tickets: Tickets;
}) {
  const { db, clock, audit, notifications } = deps;
  const { ticketOf, addMessage, staffView, setStatus } = deps.tickets;

  async function queue(
    staffId: string,
    query: { view?: QueueView; accountId?: string; cursor?: string; limit: number },
  ) {
    const rows = await queuePage(db, staffId, {
      view: query.view ?? 'all',
      accountId: query.accountId,
      before: decodeCursor(query.cursor),
      limit: query.limit,
    });
    const result = page(rows, query.limit);
    return {
      items: result.items.map((t) => ({
        ...presentForStaff(t),
        customer: { email: t.customer_email, phone: t.customer_phone },
      })),
      nextCursor: result.nextCursor,
    };
  }

  async function getForStaff(ticketId: string) {
    return staffView(db, await ticketOf(db, ticketId));
  }

  async function replyAsStaff(
    ticketId: string,
    input: { message: string; internal?: boolean },
    caller: Caller,
  ) {
    const staff = caller.actor;
    // Staff-only route: the actor is a signed-in staff member.
    const staffId = staff.id!;
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId);
      const now = clock.now().toISOString();
      await addMessage(tx, ticket.id, 'staff', staffId, input.message, input.internal === true);
      if (!input.internal) {
        await markTicketAnswered(tx, ticket.id, {
          // Whoever answers an unassigned ticket takes it.
          assigneeId: ticket.assignee_id ?? staffId,
          firstResponseAt: ticket.first_response_at ?? now,
          now,
        });
        const customer = await getAccount(tx, ticket.account_id);
        await notifications.notify(tx, customer, 'ticket_reply', {
          ticketId: ticket.id,
          subject: ticket.subject,
          excerpt: excerpt(input.message),
        });
      }
      await audit.record(tx, {
        actor: staff,
        action: input.internal ? 'ticket.note_added' : 'ticket.answered',
        subject: { type: 'ticket', id: ticket.id },
        accountId: ticket.account_id,
      });
      return staffView(tx, await ticketOf(tx, ticket.id));
    });
  }

  async function update(
    ticketId: string,
    input: { status?: TicketStatus; assigneeId?: string | null },
    caller: Caller,
  ) {
    const staff = caller.actor;
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId);
      if (input.assigneeId !== undefined && input.assigneeId !== ticket.assignee_id) {
        if (input.assigneeId !== null) {
          const assignee = await accountAccess(tx, input.assigneeId);
          if (!assignee || assignee.role === 'subscriber' || assignee.disabled_at)
            throw new AppError('ASSIGNEE_NOT_STAFF', { field: 'assigneeId' });
        }
        await assignTicket(tx, ticket.id, input.assigneeId, clock.now().toISOString());
        await audit.record(tx, {
          actor: staff,
          action: 'ticket.assigned',
          subject: { type: 'ticket', id: ticket.id },
          accountId: ticket.account_id,
          before: { assigneeId: ticket.assignee_id },
          after: { assigneeId: input.assigneeId },
        });
      }
      if (input.status) await setStatus(tx, ticket, input.status, staff);
      return staffView(tx, await ticketOf(tx, ticket.id));
    });
  }

  return { queue, getForStaff, replyAsStaff, update };
}
