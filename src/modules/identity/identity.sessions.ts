import { createHash, randomBytes } from 'node:crypto';
import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { IdentityChanges } from '../../db/identity-changes.js';
import type { AccountRow } from '../../db/schema.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import { type Principal, PrincipalCache } from './identity.principals.js';
import {
  insertSession,
  renewSession,
  revokeAccountSessions,
  revokeSession,
  sessionByTokenHash,
} from './identity.store.js';

export const SESSION_IDLE_DAYS = 7;
export const SESSION_MAX_DAYS = 30;
const RENEW_AFTER_MS = 5 * 60 * 1000;
const DAY = 24 * 60 * 60 * 1000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function actorOf(principal: Principal | null): Actor {
  if (!principal) return { type: 'system', id: null };
  return { type: principal.role === 'subscriber' ? 'account' : 'staff', id: principal.accountId };
}

/** Sessions: opened at sign-in, looked up (and renewed) on every request, revoked. */
export function createSessions(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  identityChanges: IdentityChanges;
  sessionCacheMs: number;
  hmac: (text: string) => string;
}) {
  const { db, clock, audit } = deps;
  const principals = new PrincipalCache(deps.identityChanges, deps.sessionCacheMs);

  /** The double-submit token a cookie session must echo in X-CSRF-Token for writes. */
  function csrfToken(sessionId: string): string {
    return deps.hmac(`csrf:${sessionId}`).slice(0, 43);
  }

  /** Opens a session for `account` (in the sign-in's transaction), audited; answers its token. */
  async function openSession(
    tx: Executor,
    account: Pick<AccountRow, 'id' | 'role'>,
    input: { userAgent: string | null; requestId: string },
    now: Date,
  ) {
    const token = randomBytes(32).toString('base64url');
    const sessionId = newId('ses', now.getTime());
    await insertSession(tx, {
      id: sessionId,
      account_id: account.id,
      token_hash: sha256(token),
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_IDLE_DAYS * DAY).toISOString(),
      user_agent: input.userAgent?.slice(0, 300) ?? null,
    });
    await audit.record(tx, {
      actor: { type: account.role === 'subscriber' ? 'account' : 'staff', id: account.id },
      action: 'session.created',
      subject: { type: 'session', id: sessionId },
      accountId: account.id,
      requestId: input.requestId,
    });
    return { token, sessionId, csrf: csrfToken(sessionId) };
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
      await renewSession(db, row.sessionId, nowIso, expiresAt);
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

  /** Revokes the caller's own session (signing out). */
  async function signOut(
    principal: Pick<Principal, 'accountId' | 'sessionId'>,
    caller: Caller,
  ): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await revokeSession(tx, principal.sessionId, clock.now().toISOString());
      await audit.record(tx, {
        actor: caller.actor,
        action: 'session.revoked',
        subject: { type: 'session', id: principal.sessionId },
        accountId: principal.accountId,
        requestId: caller.requestId,
      });
    });
  }

  /** Revokes every session of an account except `keep` (cancellation, suspension, staff disabling). */
  async function revokeAllSessions(tx: Executor, accountId: string, keep?: string): Promise<number> {
    return revokeAccountSessions(tx, accountId, clock.now().toISOString(), keep);
  }

  return { csrfToken, openSession, authenticate, signOut, revokeAllSessions };
}

export type Sessions = ReturnType<typeof createSessions>;
