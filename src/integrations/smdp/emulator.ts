import { randomBytes } from 'node:crypto';
import { type Static, Type } from 'typebox';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { defineJob, type Jobs } from '../../runner/jobs.js';
import { formatActivationCode } from '../../telecom/activation-code.js';
import { createEmulatorProfiles } from './emulator.profiles.js';
import { emulatorRoutes } from './emulator.routes.js';
import { countProfilesByState } from './emulator.store.js';
import {
  ES2_PATH,
  ES2_PROTOCOL,
  es2Timestamp,
  type FunctionExecutionStatus,
  type StatusCodeData,
} from './es2plus.js';

export { EMULATOR_PREFIX } from './emulator.routes.js';

export interface EmulatorFaults {
  /** The next ES2+ call answers Failed with this code. */
  failNext: StatusCodeData | null;
  /** The next ES2+ call answers this HTTP status (e.g. 503) without a body. */
  httpStatusNext: number | null;
  /** Every ES2+ answer waits this long (to provoke client timeouts). */
  delayMs: number;
  /** Notifications to the operator are lost (HandleDownloadProgressInfo); they are sent again later. */
  dropNotifications: boolean;
  /**
   * The next call of this ES2+ function (e.g. 'downloadOrder') is carried out, then its answer is
   * lost (the connection is cut): the caller cannot tell whether it happened, as after a timeout.
   */
  dropAnswerNext: string | null;
}

/** The emulator's profiles by state, and those an order reserved but nobody has released for download. */
export interface EmulatorInventory {
  byState: Record<string, number>;
  /**
   * Reserved by a DownloadOrder (allocated or linked) or confirmed without release: held for an
   * order that has not made them downloadable. Once every order has finished, each of these is a
   * profile leaked by the operator.
   */
  reserved: number;
}

/** Counts the emulator's profiles (tests read it, also from another process's database). */
export async function emulatorInventory(db: Db): Promise<EmulatorInventory> {
  const rows = await countProfilesByState(db);
  const byState = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  const reserved = (byState.allocated ?? 0) + (byState.linked ?? 0) + (byState.confirmed ?? 0);
  return { byState, reserved };
}

/** A HandleDownloadProgressInfo the emulator owes the operator. */
const Notification = Type.Object({
  iccid: Type.String(),
  eid: Type.String(),
  profileType: Type.String(),
  point: Type.Integer(),
  timestamp: Type.String(),
});

/**
 * The built-in SM-DP+ EMULATOR (demo mode and tests; no real profiles). It serves the ES2+ functions
 * at their SGP.22 paths with SGP.22 headers, status codes and profile states, keeps an inventory of
 * profiles per profile type generated from the operator's ICCID range, and simulates devices that
 * download a profile and report progress to the operator with HandleDownloadProgressInfo.
 */
export function createSmdpEmulator(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  logger: Logger;
  jobs: Jobs;
  operatorUrl: () => string;
}) {
  const { db, clock, config } = deps;
  const logger = deps.logger.child({ component: 'smdp-emulator' });
  const faults: EmulatorFaults = {
    failNext: null,
    httpStatusNext: null,
    delayMs: 0,
    dropNotifications: false,
    dropAnswerNext: null,
  };
  const profiles = createEmulatorProfiles({ db, clock, config });

  /**
   * Posts one HandleDownloadProgressInfo to the operator. Taken (204) or refused (an ES2+ Failed
   * answer, final: sending it again would not change the answer) ends it; anything else throws.
   */
  async function deliver(n: Static<typeof Notification>): Promise<void> {
    if (faults.dropNotifications) throw new Error('notification dropped (fault injection)');
    const response = await fetch(`${deps.operatorUrl()}${ES2_PATH}/handleDownloadProgressInfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-protocol': ES2_PROTOCOL },
      body: JSON.stringify({
        header: {
          functionRequesterIdentifier: config.smdp.callerId,
          functionCallIdentifier: randomBytes(8).toString('hex'),
        },
        eid: n.eid,
        iccid: n.iccid,
        profileType: n.profileType,
        timestamp: n.timestamp,
        notificationPointId: n.point,
        notificationPointStatus: { status: 'Executed-Success' },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 204) return;
    if (response.status === 200) {
      const answer = (await response.json().catch(() => null)) as {
        header?: { functionExecutionStatus?: FunctionExecutionStatus };
      } | null;
      const status = answer?.header?.functionExecutionStatus;
      if (status?.status === 'Failed') {
        logger.warn({ iccid: n.iccid, point: n.point, status }, 'the operator refused the notification');
        return;
      }
    }
    throw new Error(`operator answered the notification with HTTP ${response.status}`);
  }

  // An SM-DP+ keeps a notification until the operator has taken it: one that is lost (the operator
  // down, the network, the dropNotifications fault) is sent again with backoff, through the runner.
  const redeliver = defineJob({
    kind: 'smdp-emulator.notify',
    payload: Notification,
    maxAttempts: 20,
    handle: (n) => deliver(n),
  });
  deps.jobs.register(redeliver);

  async function sendProgress(p: { iccid: string; eid: string; profileType: string }, point: number) {
    const notification = { ...p, point, timestamp: es2Timestamp(clock.now()) };
    try {
      await deliver(notification);
    } catch (error) {
      logger.warn({ err: error, iccid: p.iccid, point }, 'notification not taken; it will be sent again');
      await deps.jobs.enqueue(db, redeliver, notification, {
        idempotencyKey: `smdp-emulator.notify:${p.iccid}:${point}:${notification.timestamp}`,
      });
    }
  }

  const routes = emulatorRoutes({ config, faults, profiles, sendProgress });

  return {
    routes,
    faults,
    inventory: () => emulatorInventory(db),
    activationCodeFor: (matchingId: string) =>
      formatActivationCode({
        smdpAddress: config.smdp.emulatorAddress,
        matchingId,
        smdpOid: null,
        confirmationCodeRequired: false,
      }),
  };
}

export type SmdpEmulator = ReturnType<typeof createSmdpEmulator>;
