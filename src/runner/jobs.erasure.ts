import type { ErasureContributor } from '../core/erasure.js';

/**
 * Notices not yet turned into messages (a notification fan-out that never succeeded) carry
 * addresses in their job's payload: such payloads naming the account are emptied.
 */
export const jobsErasure: ErasureContributor = {
  owner: 'runner',
  tables: ['jobs'],
  label: 'queued notices',
  async erase(tx, { accountId }) {
    await tx
      .updateTable('jobs')
      .set({ payload: JSON.stringify({ notices: [] }) })
      // Through jobs_due (status first): unfinished jobs are few, finished ones many.
      .where('status', 'in', ['queued', 'running', 'dead', 'cancelled'])
      .where('kind', '=', 'notifications.fanout')
      .where('payload', 'like', `%"id":"${accountId}"%`)
      .execute();
    return undefined;
  },
};
