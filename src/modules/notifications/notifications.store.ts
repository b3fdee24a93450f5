import type { Insertable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { DevMailboxTable, MessagesTable } from '../../db/schema.js';

// Messages (the outbox)

export async function insertMessages(
  executor: Executor,
  rows: Insertable<MessagesTable> | Insertable<MessagesTable>[],
): Promise<void> {
  await executor.insertInto('messages').values(rows).execute();
}

export function findMessage(executor: Executor, messageId: string) {
  return executor.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
}

/** One more attempt that did not deliver: failed, or dead when it was the last. */
export async function markMessageAttemptFailed(
  executor: Executor,
  messageId: string,
  failure: { final: boolean; error: string },
): Promise<void> {
  await executor
    .updateTable('messages')
    .set((eb) => ({
      status: failure.final ? 'dead' : 'failed',
      attempts: eb('attempts', '+', 1),
      last_error: failure.error,
    }))
    .where('id', '=', messageId)
    .execute();
}

/** The message is on its way; a sensitive one forgets its text (given as `redacted`). */
export async function markMessageSent(
  executor: Executor,
  message: { id: string; sensitive: number },
  at: string,
  redacted: string,
): Promise<void> {
  await executor
    .updateTable('messages')
    .set((eb) => ({
      status: 'sent',
      attempts: eb('attempts', '+', 1),
      sent_at: at,
      last_error: null,
      // A sign-in code has no business staying in the database once it is on its way.
      ...(message.sensitive ? { text: redacted, html: null } : {}),
    }))
    .where('id', '=', message.id)
    .execute();
}

// Dev mailbox

/** The message in the dev mailbox, once (a second delivery of the same message adds nothing). */
export async function insertDevMailboxOnce(
  executor: Executor,
  row: Insertable<DevMailboxTable>,
): Promise<void> {
  await executor
    .insertInto('dev_mailbox')
    .values(row)
    .onConflict((oc) => oc.column('message_id').doNothing())
    .execute();
}

/** What the dev mailbox holds for `to`, newest first. */
export function devMailboxOf(executor: Executor, to: string, limit: number) {
  return executor
    .selectFrom('dev_mailbox')
    .selectAll()
    .where('to', '=', to)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

// Erasure

/** The account's messages keep no address nor text: `erased` stands for them. */
export async function eraseMessagesOfAccount(executor: Executor, accountId: string, erased: string) {
  await executor
    .updateTable('messages')
    .set({ to: erased, subject: null, text: erased, html: null })
    .where('account_id', '=', accountId)
    .execute();
}

/** What the dev mailbox holds for these addresses keeps no address nor text. */
export async function eraseDevMailboxTo(executor: Executor, addresses: string[], erased: string) {
  await executor
    .updateTable('dev_mailbox')
    .set({ to: erased, subject: null, text: erased, html: null })
    .where('to', 'in', addresses)
    .execute();
}
