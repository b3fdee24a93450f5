import type { ErasureContributor } from '../../core/erasure.js';

/** The reasons and notes of the account's cancellation requests (their states and dates stay). */
export const cancellationErasure: ErasureContributor = {
  owner: 'cancellation',
  tables: ['cancellation_requests', 'cancellation_events'],
  label: 'cancellation notes',
  async erase(tx, { accountId }) {
    await tx
      .updateTable('cancellation_requests')
      .set({ reason: null })
      .where('account_id', '=', accountId)
      .execute();
    const requests = tx.selectFrom('cancellation_requests').select('id').where('account_id', '=', accountId);
    await tx
      .updateTable('cancellation_events')
      .set({ note: null })
      .where('request_id', 'in', requests)
      .execute();
    return undefined;
  },
};
