import { ERASED, type ErasureContributor } from '../../core/erasure.js';

/** Ticket subjects and every message of the account's tickets (theirs and support's answers). */
export const supportErasure: ErasureContributor = {
  owner: 'support',
  tables: ['tickets', 'ticket_messages'],
  label: 'tickets',
  async erase(tx, { accountId }) {
    const tickets = tx.selectFrom('tickets').select('id').where('account_id', '=', accountId);
    await tx.updateTable('ticket_messages').set({ body: ERASED }).where('ticket_id', 'in', tickets).execute();
    await tx.updateTable('tickets').set({ subject: ERASED }).where('account_id', '=', accountId).execute();
    return undefined;
  },
};
