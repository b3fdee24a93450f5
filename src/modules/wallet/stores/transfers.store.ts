import type { Executor } from '../../../db/database.js';
import { prepared } from '../../../db/prepared.js';
import type { AccountRow } from '../../../db/schema.js';

// What the wallet reads of accounts (identity owns them), and its recipient checks.

/** What a movement of money uses of an account: its status, and whom and in which language to tell. */
const PARTY = ['id', 'status', 'email', 'phone', 'locale'] as const;
export type Party = Pick<AccountRow, (typeof PARTY)[number]>;

// The account reads of every transfer, built and compiled once (see prepared).
const accountById = prepared((executor: Executor, id: string) =>
  executor.selectFrom('accounts').select(PARTY).where('id', '=', id),
);
const parties = prepared((executor: Executor, senderId: string, email: string | null, phone: string | null) =>
  executor
    .selectFrom('accounts')
    .select([...PARTY, 'role'])
    .where((eb) =>
      eb.or([
        eb('id', '=', senderId),
        eb.and([eb('role', '=', 'subscriber'), eb.or([eb('email', '=', email), eb('phone', '=', phone)])]),
      ]),
    ),
);

/** The account as a party to a movement of money, or undefined. */
export async function party(executor: Executor, accountId: string): Promise<Party | undefined> {
  const [account] = await accountById(executor, accountId);
  return account;
}

/**
 * Both sides of a transfer in one read: the sender by id, and the subscribers with the recipient's
 * address (email or phone).
 */
export function transferParties(
  executor: Executor,
  senderId: string,
  address: { email: string | null; phone: string | null },
) {
  return parties(executor, senderId, address.email, address.phone);
}

/** The whole account, to notify its holder. */
export async function accountToNotify(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}

/** When the subscriber's recipient checks since `since` were made, oldest first, at most `max`. */
export async function recipientChecksSince(
  executor: Executor,
  accountId: string,
  since: string,
  max: number,
) {
  return executor
    .selectFrom('recipient_checks')
    .select('created_at')
    .where('account_id', '=', accountId)
    .where('created_at', '>', since)
    .orderBy('created_at')
    .limit(max)
    .execute();
}

/** Records a recipient check, dropping the subscriber's checks from before `forgetBefore` (inclusive). */
export async function recordRecipientCheck(
  tx: Executor,
  check: { id: string; accountId: string; createdAt: string },
  forgetBefore: string,
): Promise<void> {
  await tx
    .deleteFrom('recipient_checks')
    .where('account_id', '=', check.accountId)
    .where('created_at', '<=', forgetBefore)
    .execute();
  await tx
    .insertInto('recipient_checks')
    .values({ id: check.id, account_id: check.accountId, created_at: check.createdAt })
    .execute();
}
