import { ERASED, type ErasureContributor } from '../../core/erasure.js';

/** Copies of the emails and SMS sent to the account, and what the dev mailbox holds for its addresses. */
export const notificationsErasure: ErasureContributor = {
  owner: 'notifications',
  tables: ['messages', 'dev_mailbox'],
  label: 'messages',
  async erase(tx, { accountId, addresses }) {
    await tx
      .updateTable('messages')
      .set({ to: ERASED, subject: null, text: ERASED, html: null })
      .where('account_id', '=', accountId)
      .execute();
    if (addresses.length) {
      await tx
        .updateTable('dev_mailbox')
        .set({ to: ERASED, subject: null, text: ERASED, html: null })
        .where('to', 'in', addresses)
        .execute();
    }
    return undefined;
  },
};
