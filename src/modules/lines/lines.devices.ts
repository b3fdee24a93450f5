import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import type { Db, Executor } from '../../db/database.js';
import type { EsimState } from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { LinesJobs } from './lines.jobs.js';
import type { LineOrdering } from './lines.ordering.js';
import { presentDevice, presentEsim } from './lines.present.js';
import {
  boundDevice,
  boundDeviceOfEsim,
  renameDevice as saveDeviceName,
  unbindDevice,
} from './stores/devices.store.js';
import { iccidOf, markDisabling, pendingReplacementOf } from './stores/esims.store.js';
import { ownActiveLine } from './stores/lines.store.js';

const SYSTEM: Actor = { type: 'system', id: 'lines' };

/**
 * A subscriber's devices: moving a line to a new phone, unbinding and renaming. Devices are bound
 * by the SM-DP+'s download notifications (download-progress.ts).
 */
export function createLineDevices(deps: {
  db: Db;
  clock: Clock;
  jobs: Pick<Jobs, 'enqueue'>;
  linesJobs: Pick<LinesJobs, 'disableJob'>;
  audit: Pick<AuditService, 'record'>;
  ordering: Pick<LineOrdering, 'newEsim'>;
}) {
  const { db, clock, audit } = deps;
  const { disableJob } = deps.linesJobs;
  const { newEsim } = deps.ordering;
  const now = () => clock.now().toISOString();

  /**
   * A profile that is no longer wanted (in one of `onlyFrom`, when given): it is disabling at once, and
   * the runner makes it unusable on the network (disableJob, once per profile).
   */
  async function endProfile(tx: Executor, esimId: string, reason: string, onlyFrom?: readonly EsimState[]) {
    await markDisabling(tx, esimId, now(), onlyFrom);
    await deps.jobs.enqueue(tx, disableJob, { esimId, reason }, { idempotencyKey: `disable:${esimId}` });
  }

  /** The new phone is in service: the old phone's device is unbound and its profile made unusable. */
  async function retireMovedFrom(tx: Executor, oldEsimId: string, accountId: string) {
    const old = await boundDeviceOfEsim(tx, oldEsimId);
    if (old) await unbindDevice(tx, old.id, now());
    await endProfile(tx, oldEsimId, 'moved to a new phone', ['installed', 'released', 'downloaded']);
    await audit.record(tx, {
      actor: SYSTEM,
      action: 'device.moved_away',
      subject: { type: 'esim', id: oldEsimId },
      accountId,
      before: { device: old?.id ?? null },
    });
  }

  /**
   * Moves a line from a bound device to a new phone: a new profile for the same line and number; the
   * old device keeps working until the new profile is installed, then its profile is made unusable.
   */
  async function moveToNewPhone(accountId: string, deviceId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const device = await boundDevice(tx, accountId, deviceId);
      const line = await ownActiveLine(tx, accountId, device.line_id, clock.now());
      // Asking twice gives the same new profile rather than a second one.
      const pending = await pendingReplacementOf(tx, device.esim_id);
      const esim = pending ?? (await newEsim(tx, line, device.esim_id));
      if (!pending) {
        await audit.record(tx, {
          actor: caller.actor,
          action: 'device.move_started',
          subject: { type: 'device', id: deviceId },
          accountId,
          after: { newEsim: esim.id },
          requestId: caller.requestId,
        });
      }
      const body = { ...presentEsim(esim), replacesDeviceId: deviceId };
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  /** Unbinds a device: it leaves the list at once; the runner makes its profile unusable on the network. */
  async function unbind(accountId: string, deviceId: string, caller: Caller) {
    await db.transaction().execute(async (tx) => {
      const device = await boundDevice(tx, accountId, deviceId);
      await unbindDevice(tx, deviceId, now());
      await endProfile(tx, device.esim_id, 'unbound by subscriber');
      await audit.record(tx, {
        actor: caller.actor,
        action: 'device.unbound',
        subject: { type: 'device', id: deviceId },
        accountId,
        before: { eid: device.eid },
        requestId: caller.requestId,
      });
    });
  }

  async function renameDevice(accountId: string, deviceId: string, name: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const device = await boundDevice(tx, accountId, deviceId);
      await saveDeviceName(tx, deviceId, name);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'device.renamed',
        subject: { type: 'device', id: deviceId },
        accountId,
        before: { name: device.name },
        after: { name },
        requestId: caller.requestId,
      });
      return presentDevice({ ...device, name }, await iccidOf(tx, device.esim_id));
    });
  }

  return { endProfile, retireMovedFrom, moveToNewPhone, unbind, renameDevice };
}

export type LineDevices = ReturnType<typeof createLineDevices>;
