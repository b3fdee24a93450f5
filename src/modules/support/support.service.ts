import { type Selectable, sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db, Dialect, Executor } from '../../db/database.js';
import type { TicketCategory, TicketMessagesTable, TicketStatus, TicketsTable } from '../../db/schema.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';

type TicketRow = Selectable<TicketsTable>;
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
const DAY_MS = 86_400_000;
const excerpt = (text: string) => (text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text);

/**
 * Support tickets (R11 "contact customer service"): subscribers open, reply and close; agents work a
 * queue, assign, answer (or leave internal notes the subscriber never sees) and set the status. Each
 * side is told of the other's replies in its own language.
 */
export function createSupportService(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  audit: AuditService;
  notifications: NotificationService;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock, audit, notifications } = deps;

  async function relatedExists(
    tx: Executor,
    accountId: string,
    related: { type: RelatedType; id: string },
  ): Promise<boolean> {
    const table = {
      line: 'lines',
      payment: 'payments',
      cancellation: 'cancellation_requests',
      refund: 'refunds',
      device: 'devices',
    } as const;
    const row = await tx
      .selectFrom(table[related.type])
      .select('id')
      .where('id', '=', related.id)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async function ticketOf(tx: Executor, id: string, accountId?: string): Promise<TicketRow> {
    let query = tx.selectFrom('tickets').selectAll().where('id', '=', id);
    if (accountId) query = query.where('account_id', '=', accountId);
    const ticket = await query.executeTakeFirst();
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
    await tx.insertInto('ticket_messages').values(row).execute();
    return row;
  }

  async function messagesOf(executor: Executor, ticketId: string, withInternal: boolean) {
    let query = executor
      .selectFrom('ticket_messages')
      .leftJoin('accounts', 'accounts.id', 'ticket_messages.author_id')
      .select([
        'ticket_messages.id',
        'ticket_messages.author_type',
        'ticket_messages.author_id',
        'ticket_messages.body',
        'ticket_messages.internal',
        'ticket_messages.created_at',
        'accounts.email as author_email',
      ])
      .where('ticket_id', '=', ticketId)
      .orderBy('ticket_messages.id');
    if (!withInternal) query = query.where('internal', '=', 0);
    return (await query.execute()).map((m) => ({
      id: m.id,
      author: m.author_type,
      // Subscribers see "Support", never a staff member's address.
      authorName: withInternal || m.author_type !== 'staff' ? (m.author_email ?? null) : null,
      body: m.body,
      internal: m.internal === 1,
      createdAt: m.created_at,
    }));
  }

  function present(ticket: TicketRow) {
    return {
      id: ticket.id,
      accountId: ticket.account_id,
      subject: ticket.subject,
      category: ticket.category,
      status: ticket.status,
      related: ticket.related_type ? { type: ticket.related_type, id: ticket.related_id ?? '' } : null,
      assigneeId: ticket.assignee_id,
      firstResponseAt: ticket.first_response_at,
      lastMessageAt: ticket.last_message_at,
      createdAt: ticket.created_at,
      closedAt: ticket.closed_at,
    };
  }

  async function view(executor: Executor, ticket: TicketRow, withInternal: boolean) {
    return { ...present(ticket), messages: await messagesOf(executor, ticket.id, withInternal) };
  }

  // Subscriber side ----------------------------------------------------------------------------

  async function open(
    accountId: string,
    input: {
      subject: string;
      message: string;
      category?: TicketCategory;
      related?: { type: RelatedType; id: string };
    },
    actor: Actor,
    requestId?: string,
  ) {
    const { ticketsPerDay } = await deps.policies.get();
    return db.transaction().execute(async (tx) => {
      await withinDailyTickets(tx, accountId, ticketsPerDay);
      if (input.related && !(await relatedExists(tx, accountId, input.related)))
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
      await tx.insertInto('tickets').values(ticket).execute();
      await addMessage(tx, ticket.id, 'subscriber', accountId, input.message);
      await audit.record(tx, {
        actor,
        action: 'ticket.opened',
        subject: { type: 'ticket', id: ticket.id },
        accountId,
        after: { category: ticket.category, related: input.related ?? null },
        requestId,
      });
      return view(tx, ticket, false);
    });
  }

  /** At most the policy's number of new tickets per subscriber per 24 hours (429 TICKET_LIMIT_REACHED). */
  async function withinDailyTickets(tx: Executor, accountId: string, max: number) {
    // Two tickets of one subscriber are counted one after the other (SQLite runs one transaction at a time).
    if (deps.dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(7303, hashtext(${accountId}))`.execute(tx);
    const since = new Date(clock.now().getTime() - DAY_MS).toISOString();
    const recent = await tx
      .selectFrom('tickets')
      .select('created_at')
      .where('account_id', '=', accountId)
      .where('created_at', '>', since)
      .orderBy('created_at')
      .execute();
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
    let q = db
      .selectFrom('tickets')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    const after = decodeCursor(query.cursor);
    if (after) q = q.where('id', '<', after);
    const result = page(await q.execute(), query.limit);
    return { items: result.items.map(present), nextCursor: result.nextCursor };
  }

  async function getMine(accountId: string, ticketId: string) {
    return view(db, await ticketOf(db, ticketId, accountId), false);
  }

  async function replyAsSubscriber(accountId: string, ticketId: string, message: string, actor: Actor) {
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId, accountId);
      const now = clock.now().toISOString();
      // A reply reopens a closed ticket: the customer is not done.
      await tx
        .updateTable('tickets')
        .set({ status: 'open', last_message_at: now, updated_at: now, closed_at: null })
        .where('id', '=', ticket.id)
        .execute();
      await addMessage(tx, ticket.id, 'subscriber', accountId, message);
      if (ticket.assignee_id) {
        const agent = await tx
          .selectFrom('accounts')
          .selectAll()
          .where('id', '=', ticket.assignee_id)
          .executeTakeFirst();
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
        actor,
        action: 'ticket.customer_replied',
        subject: { type: 'ticket', id: ticket.id },
        accountId,
      });
      return view(tx, await ticketOf(tx, ticket.id), false);
    });
  }

  async function closeMine(accountId: string, ticketId: string, actor: Actor) {
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId, accountId);
      await setStatus(tx, ticket, 'closed', actor);
      return view(tx, await ticketOf(tx, ticket.id), false);
    });
  }

  // Staff side --------------------------------------------------------------------------------

  async function setStatus(tx: Executor, ticket: TicketRow, status: TicketStatus, actor: Actor) {
    if (ticket.status === status) return;
    const now = clock.now().toISOString();
    await tx
      .updateTable('tickets')
      .set({ status, updated_at: now, closed_at: status === 'closed' ? now : null })
      .where('id', '=', ticket.id)
      .execute();
    await audit.record(tx, {
      actor,
      action: 'ticket.status_changed',
      subject: { type: 'ticket', id: ticket.id },
      accountId: ticket.account_id,
      before: { status: ticket.status },
      after: { status },
    });
  }

  async function queue(
    staffId: string,
    query: { view?: QueueView; accountId?: string; cursor?: string; limit: number },
  ) {
    let q = db
      .selectFrom('tickets')
      .innerJoin('accounts', 'accounts.id', 'tickets.account_id')
      .selectAll('tickets')
      .select(['accounts.email as customer_email', 'accounts.phone as customer_phone'])
      .orderBy('tickets.id', 'desc')
      .limit(query.limit + 1);
    switch (query.view ?? 'all') {
      case 'unassigned':
        q = q.where('tickets.assignee_id', 'is', null).where('tickets.status', '=', 'open');
        break;
      case 'mine':
        q = q.where('tickets.assignee_id', '=', staffId).where('tickets.status', '!=', 'closed');
        break;
      case 'waiting_on_customer':
        q = q.where('tickets.status', '=', 'waiting_on_customer');
        break;
      case 'open':
        q = q.where('tickets.status', '=', 'open');
        break;
      case 'closed':
        q = q.where('tickets.status', '=', 'closed');
        break;
      case 'all':
        break;
    }
    if (query.accountId) q = q.where('tickets.account_id', '=', query.accountId);
    const after = decodeCursor(query.cursor);
    if (after) q = q.where('tickets.id', '<', after);
    const result = page(await q.execute(), query.limit);
    return {
      items: result.items.map((t) => ({
        ...present(t),
        customer: { email: t.customer_email, phone: t.customer_phone },
      })),
      nextCursor: result.nextCursor,
    };
  }

  async function getForStaff(ticketId: string) {
    return view(db, await ticketOf(db, ticketId), true);
  }

  async function replyAsStaff(
    ticketId: string,
    input: { message: string; internal?: boolean },
    staff: Actor & { id: string },
  ) {
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId);
      const now = clock.now().toISOString();
      await addMessage(tx, ticket.id, 'staff', staff.id, input.message, input.internal === true);
      if (!input.internal) {
        await tx
          .updateTable('tickets')
          .set({
            status: 'waiting_on_customer',
            // Whoever answers an unassigned ticket takes it.
            assignee_id: ticket.assignee_id ?? staff.id,
            first_response_at: ticket.first_response_at ?? now,
            last_message_at: now,
            updated_at: now,
            closed_at: null,
          })
          .where('id', '=', ticket.id)
          .execute();
        const customer = await tx
          .selectFrom('accounts')
          .selectAll()
          .where('id', '=', ticket.account_id)
          .executeTakeFirstOrThrow();
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
      return view(tx, await ticketOf(tx, ticket.id), true);
    });
  }

  async function update(
    ticketId: string,
    input: { status?: TicketStatus; assigneeId?: string | null },
    staff: Actor,
  ) {
    return db.transaction().execute(async (tx) => {
      const ticket = await ticketOf(tx, ticketId);
      if (input.assigneeId !== undefined && input.assigneeId !== ticket.assignee_id) {
        if (input.assigneeId !== null) {
          const assignee = await tx
            .selectFrom('accounts')
            .select(['role', 'disabled_at'])
            .where('id', '=', input.assigneeId)
            .executeTakeFirst();
          if (!assignee || assignee.role === 'subscriber' || assignee.disabled_at)
            throw new AppError('ASSIGNEE_NOT_STAFF', { field: 'assigneeId' });
        }
        await tx
          .updateTable('tickets')
          .set({ assignee_id: input.assigneeId, updated_at: clock.now().toISOString() })
          .where('id', '=', ticket.id)
          .execute();
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
      return view(tx, await ticketOf(tx, ticket.id), true);
    });
  }

  /** Tickets of one account, newest first (customer 360, data export). */
  async function ofAccount(executor: Executor, accountId: string, withInternal: boolean) {
    const tickets = await executor
      .selectFrom('tickets')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .execute();
    return Promise.all(tickets.map((t) => view(executor, t, withInternal)));
  }

  return {
    open,
    listMine,
    getMine,
    replyAsSubscriber,
    closeMine,
    queue,
    getForStaff,
    replyAsStaff,
    update,
    ofAccount,
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
