import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { AccountRow, Channel } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { presentAccount } from './identity.accounts.js';
import type { Sessions } from './identity.sessions.js';
import {
  consumeChallenge,
  countWrongCode,
  findAccountByTarget,
  findChallenge,
  insertAccount,
  insertChallenge,
} from './identity.store.js';
import { normalizeTarget } from './normalize.js';
import { createSignInLimits } from './sign-in-limits.js';

export const CODE_TTL_MINUTES = 10;
export const MAX_CODE_ATTEMPTS = 5;

/** One-time codes: sent to an address, checked once; signing in with one opens a session. */
export function createSignIn(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'send' | 'notify' | 'notifyAll'>;
  policies: Pick<PolicyService, 'get'>;
  hmac: (text: string) => string;
  sessions: Pick<Sessions, 'openSession'>;
}) {
  const { db, clock, audit, hmac } = deps;
  const codeHash = (challengeId: string, code: string) => hmac(`otp:${challengeId}:${code}`);
  const limits = createSignInLimits({
    db,
    clock,
    policies: deps.policies,
    audit,
    notifications: deps.notifications,
    targetKey: (target) => hmac(`target:${target}`),
  });

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
    const target = normalizeTarget(input.channel, input.to, (await deps.policies.get()).operatorCountry);
    const account = await findAccountByTarget(db, input.channel, target);
    await limits.enforceCodeLimits(target, input.ip, account);
    const now = clock.now();
    const challengeId = newId('chl', now.getTime());
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + CODE_TTL_MINUTES * 60_000).toISOString();
    await db.transaction().execute(async (tx) => {
      await insertChallenge(tx, {
        id: challengeId,
        channel: input.channel,
        target,
        code_hash: codeHash(challengeId, code),
        ip: input.ip,
        expires_at: expiresAt,
        created_at: now.toISOString(),
      });
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
    const challenge = await findChallenge(tx, challengeId);
    if (!challenge) throw new AppError('CHALLENGE_NOT_FOUND', { field: 'challengeId' });
    if (challenge.consumed_at || challenge.expires_at <= now.toISOString())
      throw new AppError('CODE_EXPIRED');
    if (challenge.attempts >= MAX_CODE_ATTEMPTS) throw new AppError('TOO_MANY_ATTEMPTS');
    const owner = await findAccountByTarget(tx, challenge.channel, challenge.target);
    await limits.checkFailures(tx, challenge, owner, now);
    const expected = Buffer.from(challenge.code_hash, 'hex');
    const given = Buffer.from(codeHash(challenge.id, code), 'hex');
    if (!timingSafeEqual(expected, given)) {
      const attempts = await countWrongCode(tx, challenge.id);
      await limits.recordFailure(tx, challenge, owner, now);
      return {
        ok: false,
        failure: new AppError(
          attempts >= MAX_CODE_ATTEMPTS ? 'TOO_MANY_ATTEMPTS' : 'INVALID_CODE',
          { attemptsLeft: MAX_CODE_ATTEMPTS - attempts },
          { attemptsLeft: MAX_CODE_ATTEMPTS - attempts },
        ),
      } as const;
    }
    if (!(await consumeChallenge(tx, challenge.id, now.toISOString()))) throw new AppError('CODE_EXPIRED');
    return { ok: true, challenge } as const;
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

        let account: AccountRow | undefined = await findAccountByTarget(
          tx,
          challenge.channel,
          challenge.target,
        );
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
          await insertAccount(tx, account);
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
        const session = await deps.sessions.openSession(tx, account, input, now);
        return { ...session, account: presentAccount(account) } as const;
      })
      .then((result) => {
        if ('failure' in result) throw result.failure;
        return result;
      });
  }

  return { requestCode, consumeCode, signIn };
}

export type SignIn = ReturnType<typeof createSignIn>;
