import type { Selectable } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Executor } from '../../db/database.js';
import type { TicketCategory, TicketMessagesTable, TicketStatus, TicketsTable } from '../../db/schema.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import {
  findTicket,
  insertTicketMessage,
  messagesOfTicket,
  setTicketStatus,
  ticketsOfAccount,
} from './support.store.js';

export type TicketRow = Selectable<TicketsTable>;
type TicketMessageRow = Selectable<TicketMessagesTable>;

export const CATEGORIES = [
  'general',
  'cancellation',
  'billing',
  'esim',
  'usage',
  'lost_or_stolen',
] as const satisfies readonly TicketCategory[];
/** What a ticket may point at, and the table that proves it belongs to the subscriber. */
export const RELATED_TYPES = ['line', 'payment', 'cancellation', 'refund', 'device'] as const;
export type RelatedType = (typeof RELATED_TYPES)[number];
/** Staff queue views: unassigned and open, assigned to me and not closed, waiting on the customer, etc. */
export const QUEUE_VIEWS = ['unassigned', 'mine', 'waiting_on_customer', 'open', 'closed', 'all'] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];

const EXCERPT = 280;
export const excerpt = (text: string) => (text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text);

/** A ticket as its subscriber sees it (and their data export holds it). */
export function present(ticket: TicketRow) {
  return {
    id: ticket.id,
    accountId: ticket.account_id,
    subject: ticket.subject,
    category: ticket.category,
    status: ticket.status,
    related: ticket.related_type ? { type: ticket.related_type, id: ticket.related_id ?? '' } : null,
    firstResponseAt: ticket.first_response_at,
    lastMessageAt: ticket.last_message_at,
    createdAt: ticket.created_at,
    closedAt: ticket.closed_at,
  };
}

/** A ticket as staff see it: also who has it. */
export function presentForStaff(ticket: TicketRow) {
  return { ...present(ticket), assigneeId: ticket.assignee_id };
}

/** What both sides share: finding a ticket, adding a message, showing it, setting its status. */
export function createTickets(deps: { clock: Clock; audit: Pick<AuditService, 'record'> }) {
  const { clock, audit } = deps;

  async function ticketOf(tx: Executor, id: string, accountId?: string): Promise<TicketRow> {
    const ticket = await findTicket(tx, id, accountId);
    if (!ticket) throw new AppError('TICKET_NOT_FOUND', { id });
    return ticket;
  }

  async function addMessage(
    tx: Executor,
    ticketId: string,
    author: 'subscriber' | 'staff' | 'system',
    authorId: string | null,
    body: string,
    internal = false,
  ): Promise<TicketMessageRow> {
    const row = {
      id: newId('tkm', clock.now().getTime()),
      ticket_id: ticketId,
      author_type: author,
      author_id: authorId,
      body,
      internal: internal ? 1 : 0,
      created_at: clock.now().toISOString(),
    };
    await insertTicketMessage(tx, row);
    return row;
  }

  async function messagesOf(executor: Executor, ticketId: string, withInternal: boolean) {
    return (await messagesOfTicket(executor, ticketId, withInternal)).map((m) => ({
      id: m.id,
      author: m.author_type,
      // Subscribers see "Support", never a staff member's address.
      authorName: withInternal || m.author_type !== 'staff' ? (m.author_email ?? null) : null,
      body: m.body,
      internal: m.internal === 1,
      createdAt: m.created_at,
    }));
  }

  /** A ticket and its messages as the subscriber sees them: no internal notes, no staff names or ids. */
  async function view(executor: Executor, ticket: TicketRow) {
    return { ...present(ticket), messages: await messagesOf(executor, ticket.id, false) };
  }

  /** A ticket and all its messages, internal notes included, as staff see them. */
  async function staffView(executor: Executor, ticket: TicketRow) {
    return { ...presentForStaff(ticket), messages: await messagesOf(executor, ticket.id, true) };
  }

  async function setStatus(tx: Executor, ticket: TicketRow, status: TicketStatus, actor: Actor) {
    if (ticket.status === status) return;
    const now = clock.now().toISOString();
    await setTicketStatus(tx, ticket.id, status, now);
    await audit.record(tx, {
      actor,
      action: 'ticket.status_changed',
      subject: { type: 'ticket', id: ticket.id },
      accountId: ticket.account_id,
      before: { status: ticket.status },
      after: { status },
    });
  }

  /** Tickets of one account, newest first, as the subscriber sees them (their data export). */
  async function ofAccount(executor: Executor, accountId: string) {
    const tickets = await ticketsOfAccount(executor, accountId);
    return Promise.all(tickets.map((t) => view(executor, t)));
  }

  /** Tickets of one account, newest first, as staff see them (customer 360). */
  async function ofAccountForStaff(executor: Executor, accountId: string) {
    const tickets = await ticketsOfAccount(executor, accountId);
    return Promise.all(tickets.map((t) => staffView(executor, t)));
  }

  return { ticketOf, addMessage, view, staffView, setStatus, ofAccount, ofAccountForStaff };
}

export type Tickets = ReturnType<typeof createTickets>;
