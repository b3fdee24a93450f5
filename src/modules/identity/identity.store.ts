import type { Insertable } from 'kysely';
import type { Db, Executor } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import type {
  AccountRole,
  AccountStatus,
  AccountsTable,
  Channel,
  OtpChallengesTable,
  SessionsTable,
  SignInFailuresTable,
} from '../../db/schema.js';

// Accounts

export function findAccount(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
}

export function getAccountRow(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}

/** The account an email address or phone number (normalized) belongs to, if any. */
export function findAccountByTarget(executor: Executor, channel: Channel, target: string) {
  return executor
    .selectFrom('accounts')
    .selectAll()
    .where(channel === 'email' ? 'email' : 'phone', '=', target)
    .executeTakeFirst();
}

export async function insertAccount(executor: Executor, account: Insertable<AccountsTable>): Promise<void> {
  await executor.insertInto('accounts').values(account).execute();
}

/** Moves the account to `to` if its status is one of `from`; answers whether it did. */
export async function moveAccountStatus(
  executor: Executor,
  accountId: string,
  from: AccountStatus[],
  to: AccountStatus,
  at: string,
): Promise<boolean> {
  const changed = await executor
    .updateTable('accounts')
    .set({ status: to, updated_at: at })
    .where('id', '=', accountId)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(changed.numUpdatedRows) === 1;
}

export function accountStatus(executor: Executor, accountId: string) {
  return executor.selectFrom('accounts').select('status').where('id', '=', accountId).executeTakeFirst();
}

export function accountLocale(executor: Executor, accountId: string) {
  return executor
    .selectFrom('accounts')
    .select('locale')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
}

export async function setAccountLocale(
  executor: Executor,
  accountId: string,
  locale: string,
  at: string,
): Promise<void> {
  await executor
    .updateTable('accounts')
    .set({ locale, updated_at: at })
    .where('id', '=', accountId)
    .execute();
}

/** Sets the account's email or phone if it has none yet; answers whether it did. */
export async function setContactIfUnset(
  executor: Executor,
  accountId: string,
  channel: Channel,
  target: string,
  at: string,
): Promise<boolean> {
  const column = channel === 'email' ? 'email' : 'phone';
  const updated = await executor
    .updateTable('accounts')
    .set({ [column]: target, updated_at: at })
    .where('id', '=', accountId)
    .where(column, 'is', null)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** A staff member's role and disabling (a subscriber's account is left as it is). */
export async function setStaffAccessRow(
  executor: Executor,
  accountId: string,
  access: { role: AccountRole; disabledAt: string | null },
  at: string,
): Promise<void> {
  await executor
    .updateTable('accounts')
    .set({ role: access.role, disabled_at: access.disabledAt, updated_at: at })
    .where('id', '=', accountId)
    .where('role', '!=', 'subscriber')
    .execute();
}

/** Gives an existing account a staff role, enabled. */
export async function setStaffRole(
  executor: Executor,
  accountId: string,
  role: AccountRole,
  at: string,
): Promise<void> {
  await executor
    .updateTable('accounts')
    .set({ role, disabled_at: null, updated_at: at })
    .where('id', '=', accountId)
    .execute();
}

/** The admins to alert: active and not disabled. */
export function activeAdmins(executor: Executor) {
  return executor
    .selectFrom('accounts')
    .select(['id', 'email', 'phone', 'locale'])
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .where('disabled_at', 'is', null)
    .execute();
}

/**
 * Marks the account erased and answers its email and phone, or undefined when it already was: the
 * update itself claims the row.
 */
export function markAccountErased(executor: Executor, accountId: string, at: string) {
  return executor
    .updateTable('accounts')
    .set({ erased_at: at, updated_at: at })
    .where('id', '=', accountId)
    .where('erased_at', 'is', null)
    .returning(['email', 'phone'])
    .executeTakeFirst();
}

export async function clearContacts(executor: Executor, accountId: string): Promise<void> {
  await executor
    .updateTable('accounts')
    .set({ email: null, phone: null })
    .where('id', '=', accountId)
    .execute();
}

// Sessions

/** The session behind a token hash with its account: on every authenticated request, so prepared. */
export const sessionByTokenHash = prepared((db: Executor, tokenHash: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select([
      'sessions.id as sessionId',
      'sessions.created_at as createdAt',
      'sessions.last_seen_at as lastSeenAt',
      'sessions.expires_at as expiresAt',
      'sessions.revoked_at as revokedAt',
      'accounts.id as accountId',
      'accounts.role as role',
      'accounts.status as status',
      'accounts.locale as locale',
      'accounts.disabled_at as disabledAt',
    ])
    .where('sessions.token_hash', '=', tokenHash),
);

export async function insertSession(executor: Executor, session: Insertable<SessionsTable>): Promise<void> {
  await executor.insertInto('sessions').values(session).execute();
}

/** Records a session's use and its new idle expiry. */
export async function renewSession(
  db: Db,
  sessionId: string,
  lastSeenAt: string,
  expiresAt: string,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
    .where('id', '=', sessionId)
    .execute();
}

export async function revokeSession(executor: Executor, sessionId: string, at: string): Promise<void> {
  await executor
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes the account's live sessions except `keep`; answers how many. */
export async function revokeAccountSessions(
  executor: Executor,
  accountId: string,
  at: string,
  keep?: string,
): Promise<number> {
  let query = executor
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null);
  if (keep) query = query.where('id', '!=', keep);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// One-time codes

export async function insertChallenge(
  executor: Executor,
  challenge: Insertable<OtpChallengesTable>,
): Promise<void> {
  await executor.insertInto('otp_challenges').values(challenge).execute();
}

export function findChallenge(executor: Executor, challengeId: string) {
  return executor.selectFrom('otp_challenges').selectAll().where('id', '=', challengeId).executeTakeFirst();
}

/** Counts a wrong code against the challenge; answers its attempts so far. */
export async function countWrongCode(executor: Executor, challengeId: string): Promise<number> {
  const counted = await executor
    .updateTable('otp_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', challengeId)
    .returning('attempts')
    .executeTakeFirstOrThrow();
  return counted.attempts;
}

/** Marks the challenge used unless it already was; answers whether this call did. */
export async function consumeChallenge(
  executor: Executor,
  challengeId: string,
  at: string,
): Promise<boolean> {
  const consumed = await executor
    .updateTable('otp_challenges')
    .set({ consumed_at: at })
    .where('id', '=', challengeId)
    .where('consumed_at', 'is', null)
    .executeTakeFirst();
  return Number(consumed.numUpdatedRows) === 1;
}

/**
 * When codes were sent since `since` (to `target` and/or from `ip`, as given), oldest first, at most
 * `max` of them.
 */
export function codesSentSince(
  executor: Executor,
  since: string,
  by: { target?: string; ip?: string },
  max: number,
) {
  let query = executor
    .selectFrom('otp_challenges')
    .select('created_at')
    .where('created_at', '>', since)
    .orderBy('created_at');
  if (by.target !== undefined) query = query.where('target', '=', by.target);
  if (by.ip !== undefined) query = query.where('ip', '=', by.ip);
  return query.limit(max).execute();
}

/** Whether `ip` has asked for a code for `target` since `since`. */
export async function askedSince(
  executor: Executor,
  target: string,
  ip: string,
  since: string,
): Promise<boolean> {
  const earlier = await executor
    .selectFrom('otp_challenges')
    .select('id')
    .where('target', '=', target)
    .where('ip', '=', ip)
    .where('created_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return earlier !== undefined;
}

export async function deleteChallengesTo(executor: Executor, addresses: string[]): Promise<void> {
  await executor.deleteFrom('otp_challenges').where('target', 'in', addresses).execute();
}

// Wrong codes (kept under a keyed hash of the address)

export function failuresSince(executor: Executor, targetKey: string, since: string) {
  return executor
    .selectFrom('sign_in_failures')
    .select(['ip', 'created_at'])
    .where('target_key', '=', targetKey)
    .where('created_at', '>', since)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function deleteFailuresUpTo(
  executor: Executor,
  targetKey: string,
  until: string,
): Promise<void> {
  await executor
    .deleteFrom('sign_in_failures')
    .where('target_key', '=', targetKey)
    .where('created_at', '<=', until)
    .execute();
}

export async function insertFailure(
  executor: Executor,
  failure: Insertable<SignInFailuresTable>,
): Promise<void> {
  await executor.insertInto('sign_in_failures').values(failure).execute();
}

/**
 * Removes sign-in records nothing reads any more: codes and wrong-code failures from before `before`
 * (the limits look back a day at most), and sessions that expired before it. Returns the counts.
 */
export async function pruneSignInRecords(
  executor: Executor,
  before: string,
): Promise<{ codes: number; failures: number; sessions: number }> {
  const count = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows);
  const codes = await executor
    .deleteFrom('otp_challenges')
    .where('created_at', '<', before)
    .executeTakeFirst();
  const failures = await executor
    .deleteFrom('sign_in_failures')
    .where('created_at', '<', before)
    .executeTakeFirst();
  const sessions = await executor.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
  return { codes: count(codes), failures: count(failures), sessions: count(sessions) };
}
