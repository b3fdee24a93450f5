import type { ColumnType } from 'kysely';

/** Tables the support module owns: tickets and their messages. */

export type TicketStatus = 'open' | 'waiting_on_customer' | 'closed';
export type TicketCategory = 'general' | 'cancellation' | 'billing' | 'esim' | 'usage' | 'lost_or_stolen';

export interface TicketsTable {
  id: string;
  account_id: string;
  subject: string;
  category: TicketCategory;
  /** What the ticket is about, when opened from somewhere specific (a line, payment, cancellation request). */
  related_type: string | null;
  related_id: string | null;
  status: TicketStatus;
  assignee_id: string | null;
  first_response_at: string | null;
  last_message_at: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface TicketMessagesTable {
  id: string;
  ticket_id: string;
  author_type: 'subscriber' | 'staff' | 'system';
  author_id: string | null;
  body: string;
  /** 1: a note between staff, never shown to the subscriber. */
  internal: ColumnType<number, number | undefined, number>;
  created_at: string;
}
