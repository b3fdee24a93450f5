import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../db/database.js';

/** What esimdesk asks of the mobile network (HLR/HSS provisioning, via the operator's mediation). */
export interface NetworkAdapter {
  /** Makes an installed profile unusable on the network (the SIM can no longer attach). Idempotent. */
  deactivate(iccid: string, reason: string): Promise<void>;
  /** Steers roaming in `country` to the partner network `plmn` for this subscriber (MSISDN). */
  preferNetwork(msisdn: string, country: string, plmn: string): Promise<void>;
  /** Bars (suspends) or unbars a subscriber's number on the network: lost or stolen phones. */
  setBarred(msisdn: string, barred: boolean, reason: string): Promise<void>;
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
        .where('subject', '=', iccid)
        .where('action', '=', 'deactivate')
        .executeTakeFirst();
      if (done) return;
      await deps.db
        .insertInto('network_actions')
        .values({
          id: newId('nwa', deps.clock.now().getTime()),
          subject: iccid,
          action: 'deactivate',
          detail: reason,
          created_at: deps.clock.now().toISOString(),
        })
        .execute();
    },
    async setBarred(msisdn, barred, reason) {
      await deps.db
        .insertInto('network_actions')
        .values({
          id: newId('nwa', deps.clock.now().getTime()),
          subject: msisdn,
          action: barred ? 'bar' : 'unbar',
          detail: reason,
          created_at: deps.clock.now().toISOString(),
        })
        .execute();
    },
    async preferNetwork(msisdn, country, plmn) {
      await deps.db
        .insertInto('network_actions')
        .values({
          id: newId('nwa', deps.clock.now().getTime()),
          subject: msisdn,
          action: 'prefer_network',
          detail: JSON.stringify({ country, plmn }),
          created_at: deps.clock.now().toISOString(),
        })
        .execute();
    },
  };
}
