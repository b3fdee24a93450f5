import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/database.js';
import type { IdentityChanges } from '../../db/identity-changes.js';
import type { AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { createAccounts } from './identity.accounts.js';
import { createContactChanges } from './identity.contact.js';
import { createSessions } from './identity.sessions.js';
import { createSignIn } from './identity.sign-in.js';
import { createStaffAccounts } from './identity.staff.js';

export { ACCOUNT_TRANSITIONS, presentAccount } from './identity.accounts.js';
export type { Principal } from './identity.principals.js';
export { actorOf, SESSION_IDLE_DAYS, SESSION_MAX_DAYS } from './identity.sessions.js';
export { CODE_TTL_MINUTES, MAX_CODE_ATTEMPTS } from './identity.sign-in.js';
export { CODE_LIMITS } from './sign-in-limits.js';

/**
 * Who is who: sign-in with one-time codes (identity.sign-in.ts), sessions (identity.sessions.ts),
 * account status and settings (identity.accounts.ts), contact changes (identity.contact.ts) and
 * staff accounts (identity.staff.ts). The SQL is in identity.store.ts.
 */
export function createIdentityService(deps: {
  db: Db;
  clock: Clock;
  /** The server's secret: keys the hashes of codes, addresses and CSRF tokens. */
  secret: string;
  /** How long a process trusts a session it looked up (see PrincipalCache). */
  sessionCacheMs: number;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'send' | 'notify' | 'notifyAll'>;
  policies: Pick<PolicyService, 'get'>;
  identityChanges: IdentityChanges;
}) {
  const { secret, ...rest } = deps;
  const hmac = (text: string) => createHmac('sha256', secret).update(text).digest('hex');
  const sessions = createSessions({ ...rest, hmac });
  const accounts = createAccounts(deps);
  const signIn = createSignIn({ ...deps, hmac, sessions });
  const contact = createContactChanges({ ...deps, signIn, accounts });
  const staff = createStaffAccounts({ ...deps, sessions });

  return {
    requestCode: signIn.requestCode,
    signIn: signIn.signIn,
    authenticate: sessions.authenticate,
    signOut: sessions.signOut,
    revokeAllSessions: sessions.revokeAllSessions,
    changeStatus: accounts.changeStatus,
    setStaffAccess: staff.setStaffAccess,
    getAccount: accounts.getAccount,
    updateLocale: accounts.updateLocale,
    addStaff: staff.addStaff,
    csrfToken: sessions.csrfToken,
    requestContactCode: contact.requestContactCode,
    confirmContact: contact.confirmContact,
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
