import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db, Executor } from '../../db/database.js';
import type { AccountRole, AccountRow } from '../../db/schema.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import type { AuditService } from '../audit/audit.service.js';
import type { IdentityService, Principal } from '../identity/identity.service.js';
import { accountById, accountStatus, sessionCreatedAt } from './stores/accounts.store.js';
import { numbersInService, ownLine, setLineStatus } from './stores/lines.store.js';

const FRESH_MS = 10 * 60 * 1000;

/**
 * Lost or stolen (R5): the subscriber (or an agent) suspends the account at once — every line barred on
 * the network, every other session signed out. Resuming needs a fresh sign-in, so a thief holding an old
 * session cannot undo it.
 */
export function createSuspension(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  identity: Pick<IdentityService, 'changeStatus' | 'revokeAllSessions'>;
  network: Pick<NetworkAdapter, 'setBarred'>;
}) {
  const { db, clock } = deps;

  /** Only an admin suspends or resumes a staff account (an agent could otherwise shut out an admin). */
  function mayChange(account: AccountRow, callerRole: AccountRole | undefined): void {
    if (account.role !== 'subscriber' && callerRole !== 'admin')
      throw new AppError('FORBIDDEN', { reason: 'only an admin suspends or resumes a staff account' });
  }
  const reasonOf = (account: AccountRow) =>
    account.role === 'subscriber' ? { reason: 'lost_or_stolen' } : { role: account.role };

  /**
   * Suspends an account: lines barred, sessions revoked but `keepSession`. `callerRole` is the role of
   * whoever asks; a staff account is suspended only when it is 'admin'.
   */
  async function suspend(
    accountId: string,
    caller: Caller,
    { keepSession, callerRole }: { keepSession?: string; callerRole?: AccountRole } = {},
  ) {
    const lines = await db.transaction().execute(async (tx) => {
      const account = await accountById(tx, accountId);
      mayChange(account, callerRole);
      if (account.status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status: account.status });
      await deps.identity.changeStatus(tx, accountId, 'suspended');
      await deps.identity.revokeAllSessions(tx, accountId, keepSession);
      await deps.audit.record(tx, {
        actor: caller.actor,
        action: 'account.suspended',
        subject: { type: 'account', id: accountId },
        accountId,
        before: { status: 'active' },
        after: { status: 'suspended', ...reasonOf(account) },
        requestId: caller.requestId,
      });
      return numbersInService(tx, accountId);
    });
    for (const line of lines) await deps.network.setBarred(line.msisdn, true, 'lost or stolen');
  }

  /** Refuses a subscriber's resume from a session older than ten minutes (a thief's old session). */
  async function requireFreshSignIn(principal: Principal): Promise<void> {
    if (principal.role !== 'subscriber') return;
    const signedInAt = await sessionCreatedAt(db, principal.sessionId);
    if (clock.now().getTime() - Date.parse(signedInAt) > FRESH_MS)
      throw new AppError('FRESH_SIGN_IN_REQUIRED');
  }

  /** Lifts an account suspension: by the subscriber after a fresh sign-in, or by an agent who checked who is calling. */
  async function resume(accountId: string, principal: Principal, caller: Caller) {
    await requireFreshSignIn(principal);
    const lines = await db.transaction().execute(async (tx) => {
      const account = await accountById(tx, accountId);
      mayChange(account, principal.role);
      if (account.status !== 'suspended')
        throw new AppError('INVALID_TRANSITION', { status: account.status });
      await deps.identity.changeStatus(tx, accountId, 'active');
      await deps.audit.record(tx, {
        actor: caller.actor,
        action: 'account.resumed',
        subject: { type: 'account', id: accountId },
        accountId,
        before: { status: 'suspended' },
        after: { status: 'active', ...(account.role === 'subscriber' ? {} : { role: account.role }) },
        requestId: caller.requestId,
      });
      // Lines suspended one by one stay barred until they are resumed themselves.
      return numbersInService(tx, accountId);
    });
    for (const line of lines) await deps.network.setBarred(line.msisdn, false, 'account resumed');
  }

  /** Moves one of the account's lines between active and suspended, audited; returns the line as it was. */
  async function moveLine(
    tx: Executor,
    move: { accountId: string; lineId: string; from: 'active' | 'suspended'; to: 'active' | 'suspended' },
    caller: Caller,
  ) {
    const line = await ownLine(tx, move.accountId, move.lineId);
    if (line.status !== move.from)
      throw new AppError(move.from === 'active' ? 'LINE_NOT_ACTIVE' : 'INVALID_TRANSITION', {
        status: line.status,
      });
    await setLineStatus(tx, move.lineId, move.to, clock.now().toISOString());
    await deps.audit.record(tx, {
      actor: caller.actor,
      action: move.to === 'suspended' ? 'line.suspended' : 'line.resumed',
      subject: { type: 'line', id: move.lineId },
      accountId: move.accountId,
      before: { status: move.from },
      after: move.to === 'suspended' ? { status: move.to, reason: 'lost_or_stolen' } : { status: move.to },
      requestId: caller.requestId,
    });
    return line;
  }

  /** Lost or stolen for one line only (one phone of several): barred at once, the rest keeps working. */
  async function suspendLine(accountId: string, lineId: string, caller: Caller) {
    const line = await db
      .transaction()
      .execute((tx) => moveLine(tx, { accountId, lineId, from: 'active', to: 'suspended' }, caller));
    await deps.network.setBarred(line.msisdn, true, 'lost or stolen');
  }

  async function resumeLine(accountId: string, lineId: string, principal: Principal, caller: Caller) {
    await requireFreshSignIn(principal);
    const line = await db.transaction().execute(async (tx) => {
      const line = await moveLine(tx, { accountId, lineId, from: 'suspended', to: 'active' }, caller);
      return { ...line, accountSuspended: (await accountStatus(tx, accountId)) === 'suspended' };
    });
    // While the whole account is suspended the line stays barred.
    if (!line.accountSuspended) await deps.network.setBarred(line.msisdn, false, 'line resumed');
  }

  return { suspend, resume, suspendLine, resumeLine };
}

export type Suspension = ReturnType<typeof createSuspension>;
