import type { Executor } from '../../../db/database.js';

// Reads of the identity module's tables that the lines module makes (identity owns and writes them).

/** The account, for a notice to its holder (locale, addresses). */
export async function accountById(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}

export async function accountStatus(executor: Executor, accountId: string) {
  const account = await executor
    .selectFrom('accounts')
    .select('status')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return account.status;
}

/** When the session was signed in. */
export async function sessionCreatedAt(executor: Executor, sessionId: string): Promise<string> {
  const session = await executor
    .selectFrom('sessions')
    .select('created_at')
    .where('id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return session.created_at;
}
