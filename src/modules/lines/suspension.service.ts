import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db } from '../../db/database.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { IdentityService, Principal } from '../identity/identity.service.js';

const FRESH_MS = 10 * 60 * 1000;

/**
 * Lost or stolen (R5): the subscriber (or an agent) suspends the account at once — every line barred on
 * the network, every other session signed out. Resuming needs a fresh sign-in, so a thief holding an old
 * session cannot undo it.
 */
export function createSuspension(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  identity: IdentityService;
  network: NetworkAdapter;
}) {
  const { db, clock } = deps;

  async function suspend(accountId: string, actor: Actor, keepSession: string | null, requestId: string) {
    const lines = await db.transaction().execute(async (tx) => {
      const account = await tx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', accountId)
        .executeTakeFirstOrThrow();
      if (account.status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status: account.status });
      await tx
        .updateTable('accounts')
        .set({ status: 'suspended', updated_at: clock.now().toISOString() })
        .where('id', '=', accountId)
        .execute();
      await deps.identity.revokeAllSessions(tx, accountId, keepSession ?? undefined);
      await deps.audit.record(tx, {
        actor,
        action: 'account.suspended',
        subject: { type: 'account', id: accountId },
        accountId,
        before: { status: 'active' },
        after: { status: 'suspended', reason: 'lost_or_stolen' },
        requestId,
      });
      return tx
        .selectFrom('lines')
        .select('msisdn')
        .where('account_id', '=', accountId)
        .where('status', 'in', ['active', 'pending'])
        .execute();
    });
    for (const line of lines) await deps.network.setBarred(line.msisdn, true, 'lost or stolen');
  }

  async function resume(principal: Principal, requestId: string) {
    const session = await db
      .selectFrom('sessions')
      .select('created_at')
      .where('id', '=', principal.sessionId)
      .executeTakeFirstOrThrow();
    if (clock.now().getTime() - Date.parse(session.created_at) > FRESH_MS)
      throw new AppError('FRESH_SIGN_IN_REQUIRED');
    const lines = await db.transaction().execute(async (tx) => {
      const account = await tx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', principal.accountId)
        .executeTakeFirstOrThrow();
      if (account.status !== 'suspended')
        throw new AppError('INVALID_TRANSITION', { status: account.status });
      await tx
        .updateTable('accounts')
        .set({ status: 'active', updated_at: clock.now().toISOString() })
        .where('id', '=', principal.accountId)
        .execute();
      await deps.audit.record(tx, {
        actor: { type: 'account', id: principal.accountId },
        action: 'account.resumed',
        subject: { type: 'account', id: principal.accountId },
        accountId: principal.accountId,
        before: { status: 'suspended' },
        after: { status: 'active' },
        requestId,
      });
      return tx
        .selectFrom('lines')
        .select('msisdn')
        .where('account_id', '=', principal.accountId)
        .where('status', 'in', ['active', 'pending'])
        .execute();
    });
    for (const line of lines) await deps.network.setBarred(line.msisdn, false, 'resumed by the subscriber');
  }

  return { suspend, resume };
}

export type Suspension = ReturnType<typeof createSuspension>;
