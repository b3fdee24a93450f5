import type { ErasureContributor } from '../../core/erasure.js';
import { clearReasonsAndNotes } from './cancellation.store.js';

/** The reasons and notes of the account's cancellation requests (their states and dates stay). */
export const cancellationErasure: ErasureContributor = {
  owner: 'cancellation',
  tables: ['cancellation_requests', 'cancellation_events'],
  label: 'cancellation notes',
  async erase(tx, { accountId }) {
    await clearReasonsAndNotes(tx, accountId);
    return undefined;
  },
};
