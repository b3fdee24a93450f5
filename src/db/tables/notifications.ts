import type { ColumnType } from 'kysely';

/** Tables the notifications module owns: the outbox of messages and the demo dev mailbox. */

export type Channel = 'email' | 'sms';

export type MessageStatus = 'queued' | 'sent' | 'failed' | 'dead';

export interface MessagesTable {
  id: string;
  account_id: string | null;
  channel: Channel;
  to: string;
  locale: string;
  template: string;
  subject: string | null;
  text: string;
  html: string | null;
  /** 1 when the text holds a secret (a sign-in code): it is blanked once delivered. */
  sensitive: number;
  status: MessageStatus;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface DevMailboxTable {
  id: string;
  message_id: string;
  channel: Channel;
  to: string;
  locale: string;
  subject: string | null;
  text: string;
  html: string | null;
  created_at: string;
}
