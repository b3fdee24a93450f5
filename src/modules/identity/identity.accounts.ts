import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import type { Db, Executor } from '../../db/database.js';
import type { AccountRow, AccountStatus } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import {
  accountLocale,
  accountStatus,
  findAccount,
  getAccountRow,
  moveAccountStatus,
  setAccountLocale,
} from './identity.store.js';

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

/** An account's status (its only writer) and the subscriber's own settings. */
export function createAccounts(deps: { db: Db; clock: Clock; audit: Pick<AuditService, 'record'> }) {
  const { db, clock, audit } = deps;

  /**
   * The only writer of an account's status. Moves it to `to` if the diagram allows that from where it
   * is now (ACCOUNT_TRANSITIONS), as one conditional update, so two changes racing cannot both apply;
   * otherwise 409 INVALID_TRANSITION naming the current status. Callers check their own preconditions
   * (and give their own errors) first; this is the guard every path shares.
   */
  async function changeStatus(tx: Executor, accountId: string, to: AccountStatus): Promise<void> {
    if (await moveAccountStatus(tx, accountId, sourcesOf(to), to, clock.now().toISOString())) return;
    const current = await accountStatus(tx, accountId);
    if (!current) throw new AppError('NOT_FOUND');
    throw new AppError('INVALID_TRANSITION', { status: current.status, to });
  }

  async function getAccount(accountId: string) {
    const row = await findAccount(db, accountId);
    if (!row) throw new AppError('NOT_FOUND');
    return row;
  }

  async function updateLocale(accountId: string, locale: Locale, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const before = await accountLocale(tx, accountId);
      await setAccountLocale(tx, accountId, locale, clock.now().toISOString());
      if (before.locale !== locale) {
        await audit.record(tx, {
          actor: caller.actor,
          action: 'account.locale_changed',
          subject: { type: 'account', id: accountId },
          accountId,
          before: { locale: before.locale },
          after: { locale },
          requestId: caller.requestId,
        });
      }
      return presentAccount(await getAccountRow(tx, accountId));
    });
  }

  return { changeStatus, getAccount, updateLocale };
}

export type Accounts = ReturnType<typeof createAccounts>;
