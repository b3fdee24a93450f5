import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db } from '../../db/database.js';
import type { AccountRole } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { IdentityService } from '../identity/identity.service.js';
import { getAccountRow } from '../identity/identity.store.js';
import { normalizeEmail } from '../identity/normalize.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import { accountIdWithEmail, findStaffAccount, staffAccounts } from './stores/operations.store.js';

export type StaffRole = Exclude<AccountRole, 'subscriber'>;

/** Staff accounts: list, invite, change role, disable. */
export function createStaffMembers(deps: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  audit: Pick<AuditService, 'record'>;
  identity: Pick<IdentityService, 'addStaff' | 'setStaffAccess'>;
  notifications: Pick<NotificationService, 'notify'>;
}) {
  const { db, clock, audit } = deps;

  async function staffList() {
    const rows = await staffAccounts(db);
    return {
      items: rows.map((r) => ({
        id: r.id,
        email: r.email,
        role: r.role as StaffRole,
        locale: r.locale,
        disabled: r.disabled_at !== null,
        createdAt: r.created_at,
      })),
      nextCursor: null,
    };
  }

  /** Creates a staff account and emails an invitation; an existing staff address gets STAFF_EXISTS. */
  async function invite(input: { email: string; role: StaffRole; locale?: 'en' | 'zh-CN' }, caller: Caller) {
    const email = normalizeEmail(input.email);
    const existing = await accountIdWithEmail(db, email);
    if (existing) throw new AppError('STAFF_EXISTS', { field: 'email' });
    const { id } = await deps.identity.addStaff({ email, role: input.role, locale: input.locale }, caller);
    await db.transaction().execute(async (tx) => {
      const account = await getAccountRow(tx, id);
      await deps.notifications.notify(
        tx,
        account,
        'staff_invited',
        { role: input.role, url: `${deps.publicUrl}/staff` },
        ['email'],
      );
    });
    return (await staffList()).items.find((s) => s.id === id)!;
  }

  /** Changes a staff member's role or disables/enables them; disabling signs them out everywhere. */
  async function updateStaff(id: string, input: { role?: StaffRole; disabled?: boolean }, caller: Caller) {
    if (id === caller.actor.id) throw new AppError('SELF_CHANGE', { field: 'id' });
    await db.transaction().execute(async (tx) => {
      const member = await findStaffAccount(tx, id);
      if (!member) throw new AppError('ACCOUNT_NOT_FOUND', { id });
      const now = clock.now().toISOString();
      const disabledAt =
        input.disabled === undefined
          ? member.disabled_at
          : input.disabled
            ? (member.disabled_at ?? now)
            : null;
      await deps.identity.setStaffAccess(tx, id, { role: input.role ?? member.role, disabledAt });
      await audit.record(tx, {
        actor: caller.actor,
        action: 'staff.updated',
        subject: { type: 'account', id },
        accountId: id,
        before: { role: member.role, disabled: member.disabled_at !== null },
        after: { role: input.role ?? member.role, disabled: disabledAt !== null },
      });
    });
    return (await staffList()).items.find((s) => s.id === id)!;
  }

  return { staffList, invite, updateStaff };
}
