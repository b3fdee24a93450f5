import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { IdentityChanges } from '../../db/identity-changes.js';
import { prepared } from '../../db/prepared.js';
import type { AccountRole, AccountRow, AccountStatus, Channel } from '../../db/schema.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { normalizeEmail, normalizeTarget } from './normalize.js';
import { createSignInLimits } from './sign-in-limits.js';

export { CODE_LIMITS } from './sign-in-limits.js';
export const CODE_TTL_MINUTES = 10;
export const MAX_CODE_ATTEMPTS = 5;
export const SESSION_IDLE_DAYS = 7;
export const SESSION_MAX_DAYS = 30;
const RENEW_AFTER_MS = 5 * 60 * 1000;

/** The session behind a token hash with its account: on every authenticated request, so prepared. */
const sessionByTokenHash = prepared((db: Executor, tokenHash: string) =>
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
const DAY = 24 * 60 * 60 * 1000;

/**
 * Signed-in principals looked up in the last `ttlMs`, so a burst of requests on one session reads the
 * database once. Any change to accounts or sessions made by this process (IdentityChanges) empties
 * it, and nothing is cached until that change has had `ttlMs` to commit; a cached principal is never
 * used past its session's expiry, nor once the session is due for renewal (so use keeps it alive).
 * A change made by another process reaches this one within `ttlMs`. Principals are frozen: one
 * object serves many requests.
 */
class PrincipalCache {
  readonly #entries = new Map<string, { principal: Principal; until: string; at: number; epoch: number }>();
  readonly #changes: IdentityChanges;
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(changes: IdentityChanges, ttlMs: number, max = 10_000) {
    this.#changes = changes;
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(tokenHash: string, nowIso: string): Principal | null {
    const entry = this.#entries.get(tokenHash);
    if (!entry) return null;
    if (
      entry.epoch !== this.#changes.epoch ||
      performance.now() - entry.at >= this.#ttlMs ||
      entry.until <= nowIso
    ) {
      this.#entries.delete(tokenHash);
      return null;
    }
    return entry.principal;
  }

  /** Taken before reading the database: what was read may be cached only if nothing changed since. */
  lookup(): number {
    return this.#changes.epoch;
  }

  /** Keeps a principal read at `epoch` for use until the app clock reaches `until`. */
  keep(epoch: number, tokenHash: string, principal: Principal, until: string): void {
    const at = performance.now();
    if (this.#ttlMs === 0 || epoch !== this.#changes.epoch || at - this.#changes.changedAt < this.#ttlMs)
      return;
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(tokenHash, { principal, until, at, epoch });
  }
}

export interface Principal {
  accountId: string;
  sessionId: string;
  role: AccountRole;
  status: AccountRow['status'];
  locale: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * How an account's status may change (DESIGN.md): active ⇄ suspended (lost or stolen), active →
 * cancellation_pending → deregistered, and back to active when a request is withdrawn or rejected.
 */
export const ACCOUNT_TRANSITIONS: Readonly<Record<AccountStatus, readonly AccountStatus[]>> = {
  active: ['suspended', 'cancellation_pending'],
  suspended: ['active'],
  cancellation_pending: ['active', 'deregistered'],
  deregistered: [],
};

function sourcesOf(to: AccountStatus): AccountStatus[] {
  return (Object.keys(ACCOUNT_TRANSITIONS) as AccountStatus[]).filter((from) =>
    ACCOUNT_TRANSITIONS[from].includes(to),
  );
}

export function presentAccount(row: AccountRow) {
  return {
    id: row.id,
    status: row.status,
    email: row.email,
    phone: row.phone,
    locale: row.locale,
    role: row.role,
    createdAt: row.created_at,
  };
}

export function createIdentityService(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  audit: AuditService;
  notifications: NotificationService;
  policies: PolicyService;
  identityChanges: IdentityChanges;
}) {
  const { db, clock, config, audit } = deps;
  const principals = new PrincipalCache(deps.identityChanges, config.sessionCacheMs);
  /** Phone numbers without a country code are read as the operator's country (a run-time policy). */
  const country = async () => (await deps.policies.get()).operatorCountry;
  const hmac = (text: string) => createHmac('sha256', config.secret).update(text).digest('hex');
  const codeHash = (challengeId: string, code: string) => hmac(`otp:${challengeId}:${code}`);
  const limits = createSignInLimits({
    db,
    clock,
    policies: deps.policies,
    audit,
    notifications: deps.notifications,
    targetKey: (target) => hmac(`target:${target}`),
  });

  /** The double-submit token a cookie session must echo in X-CSRF-Token for writes. */
  function csrfToken(sessionId: string): string {
    return hmac(`csrf:${sessionId}`).slice(0, 43);
  }

  async function findByTarget(executor: Executor, channel: Channel, target: string) {
    return executor
      .selectFrom('accounts')
      .selectAll()
      .where(channel === 'email' ? 'email' : 'phone', '=', target)
      .executeTakeFirst();
  }

  /**
   * Sends a 6-digit code to an email address or phone. The answer is the same whether or not an
   * account exists, so it tells nobody who is registered.
   */
  async function requestCode(input: {
    channel: Channel;
    to: string;
    ip: string;
    locale: Locale;
    template?: 'sign_in_code' | 'contact_code';
  }) {
    const target = normalizeTarget(input.channel, input.to, await country());
    const account = await findByTarget(db, input.channel, target);
    await limits.enforceCodeLimits(target, input.ip, account);
    const now = clock.now();
    const challengeId = newId('chl', now.getTime());
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + CODE_TTL_MINUTES * 60_000).toISOString();
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('otp_challenges')
        .values({
          id: challengeId,
          channel: input.channel,
          target,
          code_hash: codeHash(challengeId, code),
          ip: input.ip,
          expires_at: expiresAt,
          created_at: now.toISOString(),
        })
        .execute();
      await deps.notifications.send(tx, {
        accountId: account?.id ?? null,
        channel: input.channel,
        to: target,
        locale: (account?.locale as Locale | undefined) ?? input.locale,
        template: input.template ?? 'sign_in_code',
        params: { code, minutes: CODE_TTL_MINUTES },
      });
    });
    return { challengeId, expiresAt };
  }

  /**
   * Checks a one-time code and consumes its challenge. A wrong code is counted and answered as a
   * failure value (the caller commits the count, then throws), so five wrong codes kill the challenge;
   * it also counts toward the address's 24-hour ceiling (sign-in-limits.ts).
   */
  async function consumeCode(tx: Executor, challengeId: string, code: string, now: Date) {
    const challenge = await tx
      .selectFrom('otp_challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .executeTakeFirst();
    if (!challenge) throw new AppError('CHALLENGE_NOT_FOUND', { field: 'challengeId' });
    if (challenge.consumed_at || challenge.expires_at <= now.toISOString())
      throw new AppError('CODE_EXPIRED');
    if (challenge.attempts >= MAX_CODE_ATTEMPTS) throw new AppError('TOO_MANY_ATTEMPTS');
    const owner = await findByTarget(tx, challenge.channel, challenge.target);
    await limits.checkFailures(tx, challenge, owner, now);
    const expected = Buffer.from(challenge.code_hash, 'hex');
    const given = Buffer.from(codeHash(challenge.id, code), 'hex');
    if (!timingSafeEqual(expected, given)) {
      const counted = await tx
        .updateTable('otp_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', challenge.id)
        .returning('attempts')
        .executeTakeFirstOrThrow();
      await limits.recordFailure(tx, challenge, owner, now);
      const attempts = counted.attempts;
      return {
        ok: false,
        failure: new AppError(
          attempts >= MAX_CODE_ATTEMPTS ? 'TOO_MANY_ATTEMPTS' : 'INVALID_CODE',
          { attemptsLeft: MAX_CODE_ATTEMPTS - attempts },
          { attemptsLeft: MAX_CODE_ATTEMPTS - attempts },
        ),
      } as const;
    }
    const consumed = await tx
      .updateTable('otp_challenges')
      .set({ consumed_at: now.toISOString() })
      .where('id', '=', challenge.id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(consumed.numUpdatedRows) !== 1) throw new AppError('CODE_EXPIRED');
    return { ok: true, challenge } as const;
  }

  /**
   * Adds the second way to reach a subscriber (a phone to an email account, or the reverse): a code
   * goes to the new address, and only its owner can confirm it. Notices then go to both. Whether the
   * address already belongs to someone is said only once the right code is entered (confirmContact),
   * so this cannot be used to find out who has an account.
   */
  async function requestContactCode(
    principal: Principal,
    input: { channel: Channel; to: string; ip: string },
  ) {
    const target = normalizeTarget(input.channel, input.to, await country());
    const account = await getAccount(principal.accountId);
    if ((input.channel === 'email' ? account.email : account.phone) !== null)
      throw new AppError('CONTACT_ALREADY_SET', { field: 'channel' });
    return requestCode({
      channel: input.channel,
      to: target,
      ip: input.ip,
      locale: account.locale as Locale,
      template: 'contact_code',
    });
  }

  async function confirmContact(
    principal: Principal,
    input: { challengeId: string; code: string; requestId: string },
  ) {
    const now = clock.now();
    const result = await db.transaction().execute(async (tx) => {
      const checked = await consumeCode(tx, input.challengeId, input.code, now);
      if (!checked.ok) return { failure: checked.failure } as const;
      const { challenge } = checked;
      if (await findByTarget(tx, challenge.channel, challenge.target))
        throw new AppError('CONTACT_IN_USE', { field: 'challengeId' });
      const column = challenge.channel === 'email' ? 'email' : 'phone';
      const updated = await tx
        .updateTable('accounts')
        .set({ [column]: challenge.target, updated_at: now.toISOString() })
        .where('id', '=', principal.accountId)
        .where(column, 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new AppError('CONTACT_ALREADY_SET', { field: 'challengeId' });
      await audit.record(tx, {
        actor: { type: 'account', id: principal.accountId },
        action: 'account.contact_added',
        subject: { type: 'account', id: principal.accountId },
        accountId: principal.accountId,
        after: { channel: challenge.channel },
        requestId: input.requestId,
      });
      return { done: true } as const;
    });
    if ('failure' in result) throw result.failure;
    return presentAccount(await getAccount(principal.accountId));
  }

  /** Checks a code; on success creates the subscriber on first sign-in and opens a session. */
  async function signIn(input: {
    challengeId: string;
    code: string;
    locale: Locale;
    userAgent: string | null;
    requestId: string;
  }) {
    const now = clock.now();
    return db
      .transaction()
      .execute(async (tx) => {
        const checked = await consumeCode(tx, input.challengeId, input.code, now);
        // The failed attempt must count even though the request fails: commit, then answer.
        if (!checked.ok) return { failure: checked.failure } as const;
        const { challenge } = checked;

        let account = await findByTarget(tx, challenge.channel, challenge.target);
        if (account?.disabled_at) throw new AppError('ACCOUNT_DISABLED');
        if (!account) {
          account = {
            id: newId('acc', now.getTime()),
            email: challenge.channel === 'email' ? challenge.target : null,
            phone: challenge.channel === 'sms' ? challenge.target : null,
            role: 'subscriber',
            status: 'active',
            locale: input.locale,
            disabled_at: null,
            erased_at: null,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
          };
          await tx.insertInto('accounts').values(account).execute();
          await audit.record(tx, {
            actor: { type: 'account', id: account.id },
            action: 'account.created',
            subject: { type: 'account', id: account.id },
            accountId: account.id,
            after: {
              status: account.status,
              role: account.role,
              locale: account.locale,
              channel: challenge.channel,
            },
            requestId: input.requestId,
          });
        }
        const token = randomBytes(32).toString('base64url');
        const sessionId = newId('ses', now.getTime());
        await tx
          .insertInto('sessions')
          .values({
            id: sessionId,
            account_id: account.id,
            token_hash: sha256(token),
            created_at: now.toISOString(),
            last_seen_at: now.toISOString(),
            expires_at: new Date(now.getTime() + SESSION_IDLE_DAYS * DAY).toISOString(),
            user_agent: input.userAgent?.slice(0, 300) ?? null,
          })
          .execute();
        await audit.record(tx, {
          actor: { type: account.role === 'subscriber' ? 'account' : 'staff', id: account.id },
          action: 'session.created',
          subject: { type: 'session', id: sessionId },
          accountId: account.id,
          requestId: input.requestId,
        });
        return { token, sessionId, csrf: csrfToken(sessionId), account: presentAccount(account) } as const;
      })
      .then((result) => {
        if ('failure' in result) throw result.failure;
        return result;
      });
  }

  /** The principal behind a session token, renewing the idle expiry as it is used; null if none. */
  async function authenticate(token: string): Promise<Principal | null> {
    if (token.length < 20 || token.length > 100) return null;
    const now = clock.now();
    const nowIso = now.toISOString();
    const tokenHash = sha256(token);
    const cached = principals.get(tokenHash, nowIso);
    if (cached) return cached;
    const lookup = principals.lookup();
    const [row] = await sessionByTokenHash(db, tokenHash);
    if (!row || row.revokedAt || row.disabledAt || row.expiresAt <= nowIso) return null;
    let lastSeen = Date.parse(row.lastSeenAt);
    let expiresAt = row.expiresAt;
    if (now.getTime() - lastSeen > RENEW_AFTER_MS) {
      const hardLimit = Date.parse(row.createdAt) + SESSION_MAX_DAYS * DAY;
      lastSeen = now.getTime();
      expiresAt = new Date(Math.min(hardLimit, now.getTime() + SESSION_IDLE_DAYS * DAY)).toISOString();
      await db
        .updateTable('sessions')
        .set({ last_seen_at: nowIso, expires_at: expiresAt })
        .where('id', '=', row.sessionId)
        .execute();
    }
    const principal: Principal = Object.freeze({
      accountId: row.accountId,
      sessionId: row.sessionId,
      role: row.role,
      status: row.status,
      locale: row.locale,
    });
    // Reused until the session expires or is due for renewal, whichever comes first.
    const until = Math.min(lastSeen + RENEW_AFTER_MS, Date.parse(expiresAt));
    principals.keep(lookup, tokenHash, principal, new Date(until).toISOString());
    return principal;
  }

  async function signOut(principal: Principal, requestId: string): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('sessions')
        .set({ revoked_at: clock.now().toISOString() })
        .where('id', '=', principal.sessionId)
        .where('revoked_at', 'is', null)
        .execute();
      await audit.record(tx, {
        actor: actorOf(principal),
        action: 'session.revoked',
        subject: { type: 'session', id: principal.sessionId },
        accountId: principal.accountId,
        requestId,
      });
    });
  }

  /**
   * The only writer of an account's status. Moves it to `to` if the diagram allows that from where it
   * is now (ACCOUNT_TRANSITIONS), as one conditional update, so two changes racing cannot both apply;
   * otherwise 409 INVALID_TRANSITION naming the current status. Callers check their own preconditions
   * (and give their own errors) first; this is the guard every path shares.
   */
  async function changeStatus(tx: Executor, accountId: string, to: AccountStatus): Promise<void> {
    const from = sourcesOf(to);
    const changed = await tx
      .updateTable('accounts')
      .set({ status: to, updated_at: clock.now().toISOString() })
      .where('id', '=', accountId)
      .where('status', 'in', from)
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 1) return;
    const current = await tx
      .selectFrom('accounts')
      .select('status')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!current) throw new AppError('NOT_FOUND');
    throw new AppError('INVALID_TRANSITION', { status: current.status, to });
  }

  /** A staff member's role and whether they are disabled (disabling signs them out everywhere). */
  async function setStaffAccess(
    tx: Executor,
    accountId: string,
    access: { role: AccountRole; disabledAt: string | null },
  ): Promise<void> {
    await tx
      .updateTable('accounts')
      .set({ role: access.role, disabled_at: access.disabledAt, updated_at: clock.now().toISOString() })
      .where('id', '=', accountId)
      .where('role', '!=', 'subscriber')
      .execute();
    if (access.disabledAt) await revokeAllSessions(tx, accountId);
  }

  /** Revokes every session of an account except `keep` (cancellation, suspension, staff disabling). */
  async function revokeAllSessions(tx: Executor, accountId: string, keep?: string): Promise<number> {
    let query = tx
      .updateTable('sessions')
      .set({ revoked_at: clock.now().toISOString() })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null);
    if (keep) query = query.where('id', '!=', keep);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async function getAccount(accountId: string) {
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND');
    return row;
  }

  async function updateLocale(principal: Principal, locale: Locale, requestId: string) {
    return db.transaction().execute(async (tx) => {
      const before = await tx
        .selectFrom('accounts')
        .select('locale')
        .where('id', '=', principal.accountId)
        .executeTakeFirstOrThrow();
      await tx
        .updateTable('accounts')
        .set({ locale, updated_at: clock.now().toISOString() })
        .where('id', '=', principal.accountId)
        .execute();
      if (before.locale !== locale) {
        await audit.record(tx, {
          actor: actorOf(principal),
          action: 'account.locale_changed',
          subject: { type: 'account', id: principal.accountId },
          accountId: principal.accountId,
          before: { locale: before.locale },
          after: { locale },
          requestId,
        });
      }
      return presentAccount(
        await tx
          .selectFrom('accounts')
          .selectAll()
          .where('id', '=', principal.accountId)
          .executeTakeFirstOrThrow(),
      );
    });
  }

  /** Creates a staff account (or changes an existing staff member's role). Used by the CLI. */
  async function addStaff(
    input: { email: string; role: Exclude<AccountRole, 'subscriber'>; locale?: Locale },
    actor: Actor,
  ) {
    const email = normalizeEmail(input.email);
    const now = clock.now().toISOString();
    return db.transaction().execute(async (tx) => {
      const existing = await findByTarget(tx, 'email', email);
      if (existing?.role === 'subscriber') {
        throw new AppError('CONFLICT', { field: 'email', reason: 'the address belongs to a subscriber' });
      }
      if (existing) {
        await tx
          .updateTable('accounts')
          .set({ role: input.role, disabled_at: null, updated_at: now })
          .where('id', '=', existing.id)
          .execute();
        await audit.record(tx, {
          actor,
          action: 'staff.role_changed',
          subject: { type: 'account', id: existing.id },
          accountId: existing.id,
          before: { role: existing.role, disabled: existing.disabled_at !== null },
          after: { role: input.role, disabled: false },
        });
        return { id: existing.id, created: false };
      }
      const id = newId('acc');
      await tx
        .insertInto('accounts')
        .values({
          id,
          email,
          phone: null,
          role: input.role,
          status: 'active',
          locale: input.locale ?? 'en',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await audit.record(tx, {
        actor,
        action: 'staff.created',
        subject: { type: 'account', id },
        accountId: id,
        after: { role: input.role },
      });
      return { id, created: true };
    });
  }

  return {
    requestCode,
    signIn,
    authenticate,
    signOut,
    revokeAllSessions,
    changeStatus,
    setStaffAccess,
    getAccount,
    updateLocale,
    addStaff,
    csrfToken,
    requestContactCode,
    confirmContact,
  };
}

export function actorOf(principal: Principal | null): Actor {
  if (!principal) return { type: 'system', id: null };
  return { type: principal.role === 'subscriber' ? 'account' : 'staff', id: principal.accountId };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
