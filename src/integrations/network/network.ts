import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../db/database.js';
import * as store from './network.store.js';

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
  const record = (
    subject: string,
    action: 'deactivate' | 'bar' | 'unbar' | 'prefer_network',
    detail: string,
  ) =>
    store.recordAction(deps.db, {
      id: newId('nwa', deps.clock.now().getTime()),
      subject,
      action,
      detail,
      created_at: deps.clock.now().toISOString(),
    });
  return {
    async deactivate(iccid, reason) {
      if (await store.hasAction(deps.db, iccid, 'deactivate')) return;
      await record(iccid, 'deactivate', reason);
    },
    async setBarred(msisdn, barred, reason) {
      await record(msisdn, barred ? 'bar' : 'unbar', reason);
    },
    async preferNetwork(msisdn, country, plmn) {
      await record(msisdn, 'prefer_network', JSON.stringify({ country, plmn }));
    },
  };
}
