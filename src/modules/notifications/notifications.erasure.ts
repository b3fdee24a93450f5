import { ERASED, type ErasureContributor } from '../../core/erasure.js';
import { eraseDevMailboxTo, eraseMessagesOfAccount } from './notifications.store.js';

/** Copies of the emails and SMS sent to the account, and what the dev mailbox holds for its addresses. */
export const notificationsErasure: ErasureContributor = {
  owner: 'notifications',
  tables: ['messages', 'dev_mailbox'],
  label: 'messages',
  async erase(tx, { accountId, addresses }) {
    await eraseMessagesOfAccount(tx, accountId, ERASED);
    if (addresses.length) await eraseDevMailboxTo(tx, addresses, ERASED);
    return undefined;
  },
};
