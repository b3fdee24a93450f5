import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../db/database.js';

/** What esimdesk asks of the mobile network (HLR/HSS provisioning, via the operator's mediation). */
export interface NetworkAdapter {
  /** Makes an installed profile unusable on the network (the SIM can no longer attach). Idempotent. */
  deactivate(iccid: string, reason: string): Promise<void>;
}

/**
 * Demo-mode network adapter: records each request in `network_actions` (shown to staff) instead of
 * provisioning a real network. Idempotent like a real adapter.
 */
export function createRecordingNetwork(deps: { db: Db; clock: Clock }): NetworkAdapter {
  return {
    async deactivate(iccid, reason) {
      const done = await deps.db
        .selectFrom('network_actions')
        .select('id')
        .where('iccid', '=', iccid)
        .where('action', '=', 'deactivate')
        .executeTakeFirst();
      if (done) return;
      await deps.db
        .insertInto('network_actions')
        .values({
          id: newId('nwa', deps.clock.now().getTime()),
          iccid,
          action: 'deactivate',
          detail: reason,
          created_at: deps.clock.now().toISOString(),
        })
        .execute();
    },
  };
}
