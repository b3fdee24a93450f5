import { ERASED, type ErasureContributor } from '../../core/erasure.js';

/** The names the subscriber gave their devices (EIDs stay with the line's history). */
export const linesErasure: ErasureContributor = {
  owner: 'lines',
  tables: ['devices'],
  label: 'devices',
  async erase(tx, { accountId }) {
    await tx.updateTable('devices').set({ name: ERASED }).where('account_id', '=', accountId).execute();
    return undefined;
  },
};
