import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import type { Db } from '../../db/database.js';
import type { Channel } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Accounts, presentAccount } from './identity.accounts.js';
import type { Principal } from './identity.principals.js';
import type { SignIn } from './identity.sign-in.js';
import { findAccountByTarget, setContactIfUnset } from './identity.store.js';
import { normalizeTarget } from './normalize.js';

/** The second way to reach a subscriber (a phone to an email account, or the reverse). */
export function createContactChanges(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  policies: Pick<PolicyService, 'get'>;
  signIn: Pick<SignIn, 'requestCode' | 'consumeCode'>;
  accounts: Pick<Accounts, 'getAccount'>;
}) {
  const { db, clock, audit } = deps;

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
    const target = normalizeTarget(input.channel, input.to, (await deps.policies.get()).operatorCountry);
    const account = await deps.accounts.getAccount(principal.accountId);
    if ((input.channel === 'email' ? account.email : account.phone) !== null)
      throw new AppError('CONTACT_ALREADY_SET', { field: 'channel' });
    return deps.signIn.requestCode({
      channel: input.channel,
      to: target,
      ip: input.ip,
      locale: account.locale as Locale,
      template: 'contact_code',
    });
  }

  async function confirmContact(
    accountId: string,
    input: { challengeId: string; code: string },
    caller: Caller,
  ) {
    const now = clock.now();
    const result = await db.transaction().execute(async (tx) => {
      const checked = await deps.signIn.consumeCode(tx, input.challengeId, input.code, now);
      if (!checked.ok) return { failure: checked.failure } as const;
      const { challenge } = checked;
      if (await findAccountByTarget(tx, challenge.channel, challenge.target))
        throw new AppError('CONTACT_IN_USE', { field: 'challengeId' });
      const set = await setContactIfUnset(
        tx,
        accountId,
        challenge.channel,
        challenge.target,
        now.toISOString(),
      );
      if (!set) throw new AppError('CONTACT_ALREADY_SET', { field: 'challengeId' });
      await audit.record(tx, {
        actor: caller.actor,
        action: 'account.contact_added',
        subject: { type: 'account', id: accountId },
        accountId,
        after: { channel: challenge.channel },
        requestId: caller.requestId,
      });
      return { done: true } as const;
    });
    if ('failure' in result) throw result.failure;
    return presentAccount(await deps.accounts.getAccount(accountId));
  }

  return { requestContactCode, confirmContact };
}
