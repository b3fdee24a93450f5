import { type Selectable, sql } from 'kysely';
import type { Dialect, Executor } from '../../db/database.js';
import type { TicketMessagesTable, TicketStatus, TicketsTable } from '../../db/schema.js';

type TicketRow = Selectable<TicketsTable>;

/** The tables that prove something a ticket points at belongs to the subscriber. */
const RELATED_TABLES = {
  line: 'lines',
  payment: 'payments',
  cancellation: 'cancellation_requests',
  refund: 'refunds',
  device: 'devices',
} as const;

// Tickets

/** Whether the thing a ticket would point at exists and is the account's. */
export async function relatedOfAccountExists(
  executor: Executor,
  accountId: string,
  related: { type: keyof typeof RELATED_TABLES; id: string },
): Promise<boolean> {
  const row = await executor
    .selectFrom(RELATED_TABLES[related.type])
    .select('id')
    .where('id', '=', related.id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The ticket, and only if it is the account's when one is given. */
export function findTicket(executor: Executor, id: string, accountId?: string) {
  let query = executor.selectFrom('tickets').selectAll().where('id', '=', id);
  if (accountId) query = query.where('account_id', '=', accountId);
  return query.executeTakeFirst();
}

export async function insertTicket(executor: Executor, ticket: TicketRow): Promise<void> {
  await executor.insertInto('tickets').values(ticket).execute();
}

/**
 * Two tickets of one subscriber are counted one after the other: on PostgreSQL a transaction lock
 * per account (SQLite runs one transaction at a time).
 */
export async function lockTicketsOfAccount(executor: Executor, dialect: Dialect, accountId: string) {
  if (dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(7303, hashtext(${accountId}))`.execute(executor);
}

/** When the account's tickets opened since `since` were created, oldest first. */
export function ticketsOpenedSince(executor: Executor, accountId: string, since: string) {
  return executor
    .selectFrom('tickets')
    .select('created_at')
    .where('account_id', '=', accountId)
    .where('created_at', '>', since)
    .orderBy('created_at')
    .execute();
}

/** A page of the account's tickets, newest first (one more than `limit`, to know there is more). */
export function ticketPageOfAccount(executor: Executor, accountId: string, limit: number, before?: string) {
  let q = executor
    .selectFrom('tickets')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (before) q = q.where('id', '<', before);
  return q.execute();
}

/** Every ticket of the account, newest first. */
export function ticketsOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('tickets')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .execute();
}

/** The subscriber wrote: the ticket is open again. */
export async function reopenTicket(executor: Executor, ticketId: string, now: string): Promise<void> {
  await executor
    .updateTable('tickets')
    .set({ status: 'open', last_message_at: now, updated_at: now, closed_at: null })
    .where('id', '=', ticketId)
    .execute();
}

export async function setTicketStatus(
  executor: Executor,
  ticketId: string,
  status: TicketStatus,
  now: string,
): Promise<void> {
  await executor
    .updateTable('tickets')
    .set({ status, updated_at: now, closed_at: status === 'closed' ? now : null })
    .where('id', '=', ticketId)
    .execute();
}

/** Support answered: the ticket waits on the customer. */
export async function markTicketAnswered(
  executor: Executor,
  ticketId: string,
  answer: { assigneeId: string; firstResponseAt: string; now: string },
): Promise<void> {
  await executor
    .updateTable('tickets')
    .set({
      status: 'waiting_on_customer',
      assignee_id: answer.assigneeId,
      first_response_at: answer.firstResponseAt,
      last_message_at: answer.now,
      updated_at: answer.now,
      closed_at: null,
    })
    .where('id', '=', ticketId)
    .execute();
}

export async function assignTicket(
  executor: Executor,
  ticketId: string,
  assigneeId: string | null,
  now: string,
): Promise<void> {
  await executor
    .updateTable('tickets')
    .set({ assignee_id: assigneeId, updated_at: now })
    .where('id', '=', ticketId)
    .execute();
}

export type QueueFilter = 'unassigned' | 'mine' | 'waiting_on_customer' | 'open' | 'closed' | 'all';

/** A page of the staff queue with each customer's contact, newest first (one more than `limit`). */
export function queuePage(
  executor: Executor,
  staffId: string,
  query: { view: QueueFilter; accountId?: string; before?: string; limit: number },
) {
  let q = executor
    .selectFrom('tickets')
    .innerJoin('accounts', 'accounts.id', 'tickets.account_id')
    .selectAll('tickets')
    .select(['accounts.email as customer_email', 'accounts.phone as customer_phone'])
    .orderBy('tickets.id', 'desc')
    .limit(query.limit + 1);
  switch (query.view) {
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
  if (query.before) q = q.where('tickets.id', '<', query.before);
  return q.execute();
}

// Messages

export async function insertTicketMessage(
  executor: Executor,
  message: Selectable<TicketMessagesTable>,
): Promise<void> {
  await executor.insertInto('ticket_messages').values(message).execute();
}

/** The ticket's messages, oldest first, with each author's email; internal notes only if asked. */
export function messagesOfTicket(executor: Executor, ticketId: string, withInternal: boolean) {
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
  return query.execute();
}

// Accounts (identity's, read only)

export function findAccount(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
}

export function getAccount(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}

/** Whether an account could be given tickets: its role and whether it is disabled. */
export function accountAccess(executor: Executor, accountId: string) {
  return executor
    .selectFrom('accounts')
    .select(['role', 'disabled_at'])
    .where('id', '=', accountId)
    .executeTakeFirst();
}

// Erasure

/** Every message of the account's tickets (theirs and support's answers) gets this body. */
export async function overwriteMessagesOfAccount(executor: Executor, accountId: string, body: string) {
  const tickets = executor.selectFrom('tickets').select('id').where('account_id', '=', accountId);
  await executor.updateTable('ticket_messages').set({ body }).where('ticket_id', 'in', tickets).execute();
}

/** Every ticket of the account gets this subject. */
export async function overwriteSubjectsOfAccount(executor: Executor, accountId: string, subject: string) {
  await executor.updateTable('tickets').set({ subject }).where('account_id', '=', accountId).execute();
}
