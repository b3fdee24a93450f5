import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { AccountRow } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import {
  activeAdmins,
  askedSince,
  codesSentSince,
  deleteFailuresUpTo,
  failuresSince,
  insertFailure,
} from './identity.store.js';

/**
 * Codes sent within the window: per address *and* requesting IP, and per requesting IP. The ceiling
 * per address over all IPs is the `signInCodesPerTarget` policy (subscribers and unknown addresses
 * only), far above what one requester may use, so nobody locks an owner out from one place.
 */
export const CODE_LIMITS = { windowMinutes: 15, perTargetAndIp: 5, perIp: 20 };
/** Past the 24-hour ceiling of wrong codes, the wait before the next entry: doubling per wrong code, capped. */
export const FAILURE_WAIT = { firstMs: 60_000, maxMs: 60 * 60_000 };
const DAY_MS = 24 * 60 * 60 * 1000;

interface Challenge {
  id: string;
  target: string;
  ip: string;
  created_at: string;
}

const isStaff = (account: Pick<AccountRow, 'role'> | undefined) =>
  account !== undefined && account.role !== 'subscriber';

/**
 * The limits that keep one-time codes from being guessed or used to lock people out (issue 17).
 *
 * Code requests count per address and requesting IP, per IP, and (not for staff) per address over
 * all IPs with a high ceiling, past which only an IP new to that address gets a code (one). Wrong codes are kept 24 hours under a keyed hash of the address: past
 * `signInFailuresPerDay` of them, codes sent before the ceiling was reached are void and each further
 * entry waits a time that doubles with every wrong code. For subscribers the failures count per
 * address over all IPs; for staff only per requesting IP (nobody can lock a staff member out), and
 * the admins are alerted instead. The owner is told each time the count reaches a multiple of the
 * ceiling.
 */
export function createSignInLimits(deps: {
  db: Db;
  clock: Clock;
  policies: Pick<PolicyService, 'get'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify' | 'notifyAll'>;
  /** Keyed hash of an address: failures are counted without keeping the address. */
  targetKey: (target: string) => string;
}) {
  const { db, clock } = deps;

  function retryAfter(oldestIso: string, windowMs: number): number {
    return Math.max(1, Math.ceil((Date.parse(oldestIso) + windowMs - clock.now().getTime()) / 1000));
  }

  /** Refuses a code request over any of its limits (429 RATE_LIMITED naming the limit, with Retry-After). */
  async function enforceCodeLimits(
    target: string,
    ip: string,
    account: Pick<AccountRow, 'role'> | undefined,
  ): Promise<void> {
    const windowMs = CODE_LIMITS.windowMinutes * 60_000;
    const since = new Date(clock.now().getTime() - windowMs).toISOString();
    const limits: Array<{ limit: string; max: number; by: { target?: string; ip?: string } }> = [
      { limit: 'target', max: CODE_LIMITS.perTargetAndIp, by: { target, ip } },
      { limit: 'ip', max: CODE_LIMITS.perIp, by: { ip } },
    ];
    if (!isStaff(account)) {
      const { signInCodesPerTarget } = await deps.policies.get();
      limits.push({ limit: 'targetCeiling', max: signInCodesPerTarget, by: { target } });
    }
    for (const { limit, max, by } of limits) {
      const rows = await codesSentSince(db, since, by, max);
      // Past the ceiling an address that has not asked for this target in the window still gets
      // one code: the owner on a new network is never locked out, and a flood is bounded by the
      // ceiling plus one code per address the sender controls (each also under its own limits).
      if (limit === 'targetCeiling' && rows.length >= max && !(await askedSince(db, target, ip, since)))
        continue;
      if (rows.length >= max) {
        const seconds = retryAfter(rows[0]!.created_at, windowMs);
        throw new AppError('RATE_LIMITED', { retryAfterSeconds: seconds, limit }, { retryAfter: seconds });
      }
    }
  }

  /** The wrong codes entered for `target` in the 24 hours before `now`, oldest first. */
  function failures(tx: Executor, target: string, now: Date) {
    return failuresSince(tx, deps.targetKey(target), new Date(now.getTime() - DAY_MS).toISOString());
  }

  /**
   * Before a code is compared: past the ceiling, a code sent before the ceiling was reached is void
   * (401 FRESH_CODE_REQUIRED) and an entry within the wait is refused uncounted (429 RATE_LIMITED,
   * limit "failures"). `account` is the owner of the challenge's address, if any.
   */
  async function checkFailures(
    tx: Executor,
    challenge: Challenge,
    account: Pick<AccountRow, 'role'> | undefined,
    now: Date,
  ): Promise<void> {
    const { signInFailuresPerDay: ceiling } = await deps.policies.get(tx);
    const all = await failures(tx, challenge.target, now);
    const counted = isStaff(account) ? all.filter((f) => f.ip === challenge.ip) : all;
    if (counted.length < ceiling) return;
    const reachedAt = Date.parse(counted[ceiling - 1]!.created_at);
    if (Date.parse(challenge.created_at) < reachedAt)
      throw new AppError('FRESH_CODE_REQUIRED', { field: 'challengeId' });
    const waitMs = Math.min(FAILURE_WAIT.firstMs * 2 ** (counted.length - ceiling), FAILURE_WAIT.maxMs);
    const until = Date.parse(counted[counted.length - 1]!.created_at) + waitMs;
    if (now.getTime() < until) {
      const seconds = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
      throw new AppError(
        'RATE_LIMITED',
        { retryAfterSeconds: seconds, limit: 'failures' },
        { retryAfter: seconds },
      );
    }
  }

  /**
   * Records a wrong code (in the caller's transaction, which commits it although the request fails)
   * and, when the address's count reaches a multiple of the ceiling, tells its owner, and for a staff
   * address also every admin (with an audit entry).
   */
  async function recordFailure(
    tx: Executor,
    challenge: Challenge,
    account: AccountRow | undefined,
    now: Date,
  ) {
    const key = deps.targetKey(challenge.target);
    await deleteFailuresUpTo(tx, key, new Date(now.getTime() - DAY_MS).toISOString());
    await insertFailure(tx, {
      id: newId('sif', now.getTime()),
      target_key: key,
      ip: challenge.ip,
      created_at: now.toISOString(),
    });
    if (!account || account.disabled_at || account.erased_at) return;
    const { signInFailuresPerDay: ceiling } = await deps.policies.get(tx);
    const all = await failures(tx, challenge.target, now);
    if (all.length % ceiling !== 0) return;
    await deps.notifications.notify(tx, account, 'sign_in_failures', { count: all.length });
    if (!isStaff(account)) return;
    const ips = [...new Set(all.map((f) => f.ip))];
    await deps.audit.record(tx, {
      actor: { type: 'system', id: null },
      action: 'security.staff_sign_in_failures',
      subject: { type: 'account', id: account.id },
      accountId: account.id,
      after: { failures: all.length, addresses: ips.slice(0, 20), addressCount: ips.length },
    });
    const admins = await activeAdmins(tx);
    await deps.notifications.notifyAll(
      tx,
      admins.map((admin) => ({
        recipient: admin,
        template: 'staff_sign_in_alert' as const,
        params: {
          staff: account.email ?? account.phone ?? account.id,
          count: all.length,
          addresses: ips.length,
        },
      })),
    );
  }

  return { enforceCodeLimits, checkFailures, recordFailure };
}

export type SignInLimits = ReturnType<typeof createSignInLimits>;
