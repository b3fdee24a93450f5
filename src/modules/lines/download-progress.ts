import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Db, Executor } from '../../db/database.js';
import type { EsimsTable } from '../../db/schema.js';
import {
  ELEMENT_INVALID,
  ES2_CODES,
  NOTIFICATION_POINT,
  parseEs2Timestamp,
  type StatusCodeData,
} from '../../integrations/smdp/es2plus.js';
import { isValidEid } from '../../telecom/eid.js';
import { normalizeIccid } from '../../telecom/iccid.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { insertDevice } from './stores/devices.store.js';
import { claimEs2Call, finishEs2Call } from './stores/es2-calls.store.js';
import {
  markDownloaded,
  markInstalled,
  newestEsimWithIccid,
  recordEsimFailure,
} from './stores/esims.store.js';
import { activatePendingLine, lineById } from './stores/lines.store.js';

const DAY = 24 * 60 * 60 * 1000;
const ACTOR: Actor = { type: 'system', id: 'es2plus' };

/** HandleDownloadProgressInfo as the SM-DP+ sends it (SGP.22; lenient where real SM-DP+s differ). */
export interface ProgressNotification {
  eid?: string;
  iccid: string;
  profileType: string;
  timestamp: string | number;
  notificationPointId: number | string;
  notificationPointStatus: { status: string };
}

/** Who sent the notification: the requester and call identifiers of its header, and the authenticated peer. */
export interface Es2Caller {
  requester: string;
  callId: string;
  peer: string;
  requestId?: string;
}

export type ProgressAnswer =
  | { outcome: 'bound' | 'recorded' | 'duplicate' | 'ignored' }
  | { outcome: 'refused'; code: StatusCodeData; message: string };

const refused = (code: StatusCodeData, message: string): ProgressAnswer => ({
  outcome: 'refused',
  code,
  message,
});

/**
 * The operator's side of HandleDownloadProgressInfo. Point 4 binds a device only to a profile this
 * operator ordered and released, for the EID it was downloaded to (or ordered for); the line starts
 * at the install time the SM-DP+ reports, bounded by the order and now. Anything else changes
 * nothing, is answered Failed and written to the audit trail. Each functionCallIdentifier is
 * handled once; a repeat gets the first answer.
 */
export function createDownloadProgress(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  audit: Pick<AuditService, 'record'>;
  catalog: Pick<CatalogService, 'get'>;
  /** The new phone is in service: the moved-from profile ends (lines.service). */
  retireMovedFrom: (tx: Executor, oldEsimId: string, accountId: string) => Promise<void>;
}) {
  const { db, clock, audit } = deps;
  const logger = deps.logger.child({ component: 'es2-progress' });

  async function handle(n: ProgressNotification, caller: Es2Caller): Promise<ProgressAnswer> {
    const iccid = normalizeIccid(String(n.iccid));
    const point = Number(n.notificationPointId);
    return db.transaction().execute(async (tx) => {
      const claimed = await claimEs2Call(tx, {
        requester: caller.requester,
        call_id: caller.callId,
        function: 'handleDownloadProgressInfo',
        peer: caller.peer,
        iccid: iccid ?? String(n.iccid).slice(0, 24),
        point: Number.isSafeInteger(point) ? point : null,
        outcome: 'pending',
        subject_code: null,
        reason_code: null,
        subject_identifier: null,
        message: null,
        received_at: clock.now().toISOString(),
      });
      if (claimed !== true) return claimed;
      const { answer, esim } = await decide(tx, n, iccid, point, caller);
      await finishEs2Call(tx, caller.requester, caller.callId, answer);
      if (answer.outcome === 'refused') {
        logger.warn(
          { iccid: iccid ?? n.iccid, point, eid: n.eid, requester: caller.requester, peer: caller.peer },
          `ES2+ download progress refused: ${answer.message}`,
        );
        await audit.record(tx, {
          actor: ACTOR,
          action: 'esim.progress_refused',
          subject: esim ? { type: 'esim', id: esim.id } : { type: 'iccid', id: iccid ?? String(n.iccid) },
          accountId: esim?.account_id ?? null,
          after: {
            point: n.notificationPointId,
            eid: n.eid ?? null,
            code: `${answer.code.subjectCode}/${answer.code.reasonCode}`,
            reason: answer.message,
            es2: { requester: caller.requester, callId: caller.callId, peer: caller.peer },
          },
          requestId: caller.requestId ?? null,
        });
      }
      return answer;
    });
  }

  async function decide(
    tx: Executor,
    n: ProgressNotification,
    iccid: string | null,
    point: number,
    caller: Es2Caller,
  ): Promise<{ answer: ProgressAnswer; esim?: EsimsTable }> {
    if (!iccid) return { answer: refused(ES2_CODES.iccidInvalid, 'iccid is not a valid ICCID') };
    if (!Number.isSafeInteger(point) || point < 1)
      return {
        answer: refused(
          { subjectCode: '1.2', reasonCode: ELEMENT_INVALID, subjectIdentifier: 'notificationPointId' },
          'notificationPointId is not a notification point',
        ),
      };
    // The newest order of the ICCID: a profile cancelled before download may be ordered again later.
    const esim = await newestEsimWithIccid(tx, iccid);
    if (!esim)
      return { answer: refused(ES2_CODES.iccidUnknown, 'no profile with this ICCID was ordered here') };
    const answer = await decideFor(tx, esim, n, point, caller);
    return { answer, esim };
  }

  async function decideFor(
    tx: Executor,
    esim: EsimsTable,
    n: ProgressNotification,
    point: number,
    caller: Es2Caller,
  ): Promise<ProgressAnswer> {
    const at = parseEs2Timestamp(n.timestamp);
    if (!at)
      return refused(
        { subjectCode: '1.2', reasonCode: ELEMENT_INVALID, subjectIdentifier: 'timestamp' },
        'timestamp is not YYYY-MM-DDThh:mm:ssZ or epoch seconds',
      );
    const eid = n.eid?.trim() || null;
    if (eid !== null && !isValidEid(eid))
      return refused(ES2_CODES.eidInvalid, 'eid fails its MOD 97-10 check');
    const inFlight = esim.state === 'released' || esim.state === 'downloaded';

    if (n.notificationPointStatus.status !== 'Executed-Success') {
      // A failed attempt, not a final state: the subscriber may try again with the same code.
      if (!inFlight) return { outcome: 'ignored' };
      await recordEsimFailure(
        tx,
        esim.id,
        `point ${point}: ${n.notificationPointStatus.status}`,
        clock.now().toISOString(),
      );
      return { outcome: 'recorded' };
    }
    if (point !== NOTIFICATION_POINT.downloaded && point !== NOTIFICATION_POINT.installed)
      return { outcome: 'ignored' };

    // The EID the order named, or the one the profile was downloaded to: no other device may take it.
    if (eid !== null && esim.eid !== null && eid !== esim.eid)
      return refused(ES2_CODES.eidNotAssociated, 'the profile belongs to another EID');
    const settled = esim.state === 'installed' || (esim.state === 'downloaded' && point === 3);
    if (settled) return { outcome: 'duplicate' };
    if (!inFlight) return refused(ES2_CODES.invalidTransition, `the profile is ${esim.state}`);

    // Each update re-checks the state itself: notifications may arrive at once and out of order (an
    // SM-DP+ resending both after an outage), and a late "downloaded" must not undo "installed".
    if (point === NOTIFICATION_POINT.downloaded) {
      await markDownloaded(tx, esim.id, eid ?? esim.eid, clock.now().toISOString());
      return { outcome: 'recorded' };
    }
    const deviceEid = eid ?? esim.eid;
    if (!deviceEid) return refused(ES2_CODES.eidMissing, 'no EID: point 4 must name the device');
    return install(tx, esim, deviceEid, at, caller);
  }

  async function install(
    tx: Executor,
    esim: EsimsTable,
    eid: string,
    reportedAt: Date,
    caller: Es2Caller,
  ): Promise<ProgressAnswer> {
    const line = await lineById(tx, esim.line_id);
    if (line.status === 'failed' || line.status === 'terminated')
      return refused(ES2_CODES.invalidTransition, `the line is ${line.status}`);
    // When the profile was installed, as the SM-DP+ says: not before it was ordered, not in the future.
    const now = clock.now();
    const installedAt = new Date(
      Math.min(Math.max(reportedAt.getTime(), Date.parse(esim.created_at)), now.getTime()),
    );
    if (installedAt.getTime() !== reportedAt.getTime())
      logger.warn(
        { iccid: esim.iccid, reported: reportedAt.toISOString(), used: installedAt.toISOString() },
        'install time outside the order and now; bounded',
      );
    if (!(await markInstalled(tx, esim.id, eid, now.toISOString()))) return { outcome: 'duplicate' };
    const deviceId = newId('dev', now.getTime());
    await insertDevice(tx, {
      id: deviceId,
      account_id: esim.account_id,
      line_id: esim.line_id,
      esim_id: esim.id,
      eid,
      name: `Device ·${eid.slice(-4)}`,
      bound_at: installedAt.toISOString(),
    });
    if (line.status === 'pending') {
      const plan = await deps.catalog.get(tx, line.plan_id, 'en');
      // Allowances start at activation (the first install) and run for the plan's validity.
      await activatePendingLine(tx, line.id, {
        activated_at: installedAt.toISOString(),
        expires_at: new Date(installedAt.getTime() + plan.validityDays * DAY).toISOString(),
        data_bytes_left: plan.dataMb * 1024 * 1024,
        voice_seconds_left: plan.voiceMinutes * 60,
        sms_left: plan.sms,
        updated_at: now.toISOString(),
      });
    }
    if (esim.replaces_esim_id) await deps.retireMovedFrom(tx, esim.replaces_esim_id, esim.account_id);
    await audit.record(tx, {
      actor: ACTOR,
      action: 'device.bound',
      subject: { type: 'device', id: deviceId },
      accountId: esim.account_id,
      after: {
        eid,
        iccid: esim.iccid,
        lineId: line.id,
        installedAt: installedAt.toISOString(),
        es2: { requester: caller.requester, callId: caller.callId, peer: caller.peer },
      },
      requestId: caller.requestId ?? null,
    });
    return { outcome: 'bound' };
  }

  return { handle };
}

export type DownloadProgress = ReturnType<typeof createDownloadProgress>;
