import type { ErasureContributor } from '../core/erasure.js';
import { emptyNoticesNaming } from './jobs.store.js';

/**
 * Notices not yet turned into messages (a notification fan-out that never succeeded) carry
 * addresses in their job's payload: such payloads naming the account are emptied.
 */
export const jobsErasure: ErasureContributor = {
  owner: 'runner',
  tables: ['jobs'],
  label: 'queued notices',
  async erase(tx, { accountId }) {
    await emptyNoticesNaming(tx, accountId);
    return undefined;
  },
};
