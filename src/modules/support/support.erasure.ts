import { ERASED, type ErasureContributor } from '../../core/erasure.js';
import { overwriteMessagesOfAccount, overwriteSubjectsOfAccount } from './support.store.js';

/** Ticket subjects and every message of the account's tickets (theirs and support's answers). */
export const supportErasure: ErasureContributor = {
  owner: 'support',
  tables: ['tickets', 'ticket_messages'],
  label: 'tickets',
  async erase(tx, { accountId }) {
    await overwriteMessagesOfAccount(tx, accountId, ERASED);
    await overwriteSubjectsOfAccount(tx, accountId, ERASED);
    return undefined;
  },
};
