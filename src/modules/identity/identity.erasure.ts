import type { ErasureContributor } from '../../core/erasure.js';
import type { Executor } from '../../db/database.js';
import { clearContacts, deleteChallengesTo, markAccountErased } from './identity.store.js';

/**
 * Marks the account erased and returns the addresses it had, or null when it already was: claiming
 * the row with the update itself, so two runners erasing at once cannot both go on.
 */
export async function claimForErasure(
  tx: Executor,
  accountId: string,
  now: string,
): Promise<string[] | null> {
  const account = await markAccountErased(tx, accountId, now);
  if (!account) return null;
  return [account.email, account.phone].filter((a): a is string => a !== null);
}

/** The account's email and phone, and any sign-in challenge sent to them. */
export const identityErasure: ErasureContributor = {
  owner: 'identity',
  tables: ['accounts', 'otp_challenges'],
  label: 'email, phone',
  async erase(tx, { accountId, addresses }) {
    await clearContacts(tx, accountId);
    if (addresses.length) await deleteChallengesTo(tx, addresses);
    return undefined;
  },
};
