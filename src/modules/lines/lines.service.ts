import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db, Executor } from '../../db/database.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { createDownloadProgress } from './download-progress.js';
import { createLineDevices } from './lines.devices.js';
import { defineLinesJobs } from './lines.jobs.js';
import { createLineOrdering } from './lines.ordering.js';
import { createLineQueries } from './lines.present.js';
import { createEsimProvisioning, type EsimOrders } from './lines.provisioning.js';
import type { NumberPool } from './numbers.js';
import { unbindDevicesOfAccount } from './stores/devices.store.js';
import { esimsToEndOfLine } from './stores/esims.store.js';
import { openLinesOfAccount, setLineStatus } from './stores/lines.store.js';

const SYSTEM: Actor = { type: 'system', id: 'lines' };

/**
 * Lines, their eSIM profiles and the devices they are on: buying (lines.ordering.ts), the runner's
 * orders at the SM-DP+ (lines.provisioning.ts), devices (lines.devices.ts, download-progress.ts)
 * and what is read of them (lines.present.ts), put together here.
 */
export function createLinesService(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs: Pick<Jobs, 'register' | 'enqueue'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  wallet: Pick<WalletService, 'charge' | 'reverseCharge'>;
  catalog: Pick<CatalogService, 'get'>;
  numbers: NumberPool;
  es2: EsimOrders;
  network: Pick<NetworkAdapter, 'deactivate'>;
  policies: Pick<PolicyService, 'get'>;
  /** The operator's ICCID range and the profile type its orders ask the SM-DP+ for. */
  iccidRange: Config['iccid'];
  profileType: string;
}) {
  const { db, clock, audit } = deps;

  const linesJobs = defineLinesJobs(() => provisioning);
  const { orderJob, disableJob, cancelJob } = linesJobs;
  deps.jobs.register(orderJob, disableJob, cancelJob);
  const provisioning = createEsimProvisioning({ ...deps, linesJobs });
  const queries = createLineQueries({ db, clock, catalog: deps.catalog });
  const ordering = createLineOrdering({ ...deps, linesJobs, queries });
  const deviceChanges = createLineDevices({ db, clock, jobs: deps.jobs, linesJobs, audit, ordering });

  const now = () => clock.now().toISOString();

  /** Ends every line of an account (deregistration): profiles made unusable, devices unbound, numbers quarantined. */
  async function terminateAccountLines(tx: Executor, accountId: string, reason: string) {
    const lines = await openLinesOfAccount(tx, accountId);
    await unbindDevicesOfAccount(tx, accountId, now());
    for (const line of lines) {
      await setLineStatus(tx, line.id, 'terminated', now());
      await deps.numbers.release(tx, line.msisdn, true);
      for (const e of await esimsToEndOfLine(tx, line.id)) await deviceChanges.endProfile(tx, e.id, reason);
      await audit.record(tx, {
        actor: SYSTEM,
        action: 'line.terminated',
        subject: { type: 'line', id: line.id },
        accountId,
        after: { reason, msisdn: line.msisdn },
      });
    }
    return lines.length;
  }

  const progress = createDownloadProgress({
    db,
    clock,
    logger: deps.logger,
    audit,
    catalog: deps.catalog,
    retireMovedFrom: deviceChanges.retireMovedFrom,
  });

  return {
    terminateAccountLines,
    buy: ordering.buy,
    addEsim: ordering.addEsim,
    moveToNewPhone: deviceChanges.moveToNewPhone,
    list: queries.list,
    get: queries.get,
    devices: queries.devices,
    unbind: deviceChanges.unbind,
    renameDevice: deviceChanges.renameDevice,
    /** ES2+ HandleDownloadProgressInfo from the SM-DP+ (see download-progress.ts). */
    handleProgress: progress.handle,
    activationCode: queries.activationCode,
    orderJob,
    disableJob,
    cancelJob,
  };
}

export type LinesService = ReturnType<typeof createLinesService>;
