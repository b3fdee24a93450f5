import { ERASED, type ErasureContributor } from '../../core/erasure.js';
import { renameDevicesOfAccount } from './stores/devices.store.js';

/** The names the subscriber gave their devices (EIDs stay with the line's history). */
export const linesErasure: ErasureContributor = {
  owner: 'lines',
  tables: ['devices'],
  label: 'devices',
  async erase(tx, { accountId }) {
    await renameDevicesOfAccount(tx, accountId, ERASED);
    return undefined;
  },
};
