import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { AccountRole } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Sessions } from './identity.sessions.js';
import { findAccountByTarget, insertAccount, setStaffAccessRow, setStaffRole } from './identity.store.js';
import { normalizeEmail } from './normalize.js';

/** Staff accounts: created or re-roled (CLI), their role and disabling (staff console). */
export function createStaffAccounts(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  sessions: Pick<Sessions, 'revokeAllSessions'>;
}) {
  const { db, clock, audit } = deps;

  /** A staff member's role and whether they are disabled (disabling signs them out everywhere). */
  async function setStaffAccess(
    tx: Executor,
    accountId: string,
    access: { role: AccountRole; disabledAt: string | null },
  ): Promise<void> {
    await setStaffAccessRow(tx, accountId, access, clock.now().toISOString());
    if (access.disabledAt) await deps.sessions.revokeAllSessions(tx, accountId);
  }

  /** Creates a staff account (or changes an existing staff member's role): the CLI, staff invitations. */
  async function addStaff(
    input: { email: string; role: Exclude<AccountRole, 'subscriber'>; locale?: Locale },
    caller: Caller,
  ) {
    const email = normalizeEmail(input.email);
    const now = clock.now().toISOString();
    return db.transaction().execute(async (tx) => {
      const existing = await findAccountByTarget(tx, 'email', email);
      if (existing?.role === 'subscriber') {
        throw new AppError('CONFLICT', { field: 'email', reason: 'the address belongs to a subscriber' });
      }
      if (existing) {
        await setStaffRole(tx, existing.id, input.role, now);
        await audit.record(tx, {
          actor: caller.actor,
          action: 'staff.role_changed',
          subject: { type: 'account', id: existing.id },
          accountId: existing.id,
          before: { role: existing.role, disabled: existing.disabled_at !== null },
          after: { role: input.role, disabled: false },
          requestId: caller.requestId,
        });
        return { id: existing.id, created: false };
      }
      const id = newId('acc');
      await insertAccount(tx, {
        id,
        email,
        phone: null,
        role: input.role,
        status: 'active',
        locale: input.locale ?? 'en',
        created_at: now,
        updated_at: now,
      });
      await audit.record(tx, {
        actor: caller.actor,
        action: 'staff.created',
        subject: { type: 'account', id },
        accountId: id,
        after: { role: input.role },
        requestId: caller.requestId,
      });
      return { id, created: true };
    });
  }

  return { setStaffAccess, addStaff };
}
