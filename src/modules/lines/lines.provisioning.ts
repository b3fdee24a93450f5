import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { formatMoney } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { EsimsTable } from '../../db/schema.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import type { Es2Client } from '../../integrations/smdp/client.js';
import { ES2_CODES, Es2Error } from '../../integrations/smdp/es2plus.js';
import type { JobContext, Jobs } from '../../runner/jobs.js';
import { formatActivationCode } from '../../telecom/activation-code.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import type { LinesJobs } from './lines.jobs.js';
import type { NumberPool } from './numbers.js';
import { accountById } from './stores/accounts.store.js';
import {
  esimById,
  iccidAndState,
  isUniqueViolation,
  markAllocated,
  markOrderFailed,
  markReleased,
  markUnusable,
  nextIccid,
  otherLiveEsimsOfLine,
  recordIccid,
} from './stores/esims.store.js';
import { lineById, setLineStatus } from './stores/lines.store.js';

const SYSTEM: Actor = { type: 'system', id: 'lines' };

/** The matching ID we ask the SM-DP+ to use for an eSIM: unique, stable across retries (SGP.22 allows A–Z, 0–9, -). */
export function matchingIdFor(esimId: string): string {
  return esimId
    .replace(/^esm_/, '')
    .toUpperCase()
    .match(/.{1,5}/g)!
    .join('-');
}

/** The ES2+ calls the runner's orders make to the SM-DP+. */
export type EsimOrders = Pick<Es2Client, 'downloadOrder' | 'confirmOrder' | 'cancelOrder'>;

/**
 * The runner's side of a profile's life at the SM-DP+ and on the network: placing an order
 * (DownloadOrder, ConfirmOrder), failing it, giving a reserved profile back (CancelOrder) and
 * ending a profile that is no longer wanted.
 */
export function createEsimProvisioning(deps: {
  db: Db;
  clock: Clock;
  iccidRange: Config['iccid'];
  profileType: string;
  logger: Logger;
  jobs: Pick<Jobs, 'enqueue'>;
  linesJobs: Pick<LinesJobs, 'cancelJob'>;
  audit: Pick<AuditService, 'record'>;
  notifications: Pick<NotificationService, 'notify'>;
  wallet: Pick<WalletService, 'reverseCharge'>;
  catalog: Pick<CatalogService, 'get'>;
  numbers: Pick<NumberPool, 'release'>;
  es2: EsimOrders;
  network: Pick<NetworkAdapter, 'deactivate'>;
}) {
  const { db, clock, audit } = deps;
  const { cancelJob } = deps.linesJobs;
  const logger = deps.logger.child({ component: 'lines' });
  const now = () => clock.now().toISOString();

  /** The runner's entry on an eSIM's audit trail (and its account's). */
  async function auditEsim(
    executor: Executor,
    action: string,
    esim: Pick<EsimsTable, 'id' | 'account_id'>,
    after: Record<string, unknown>,
  ) {
    await audit.record(executor, {
      actor: SYSTEM,
      action,
      subject: { type: 'esim', id: esim.id },
      accountId: esim.account_id,
      after,
    });
  }

  /**
   * Runner: DownloadOrder then ConfirmOrder(releaseFlag) at the SM-DP+; re-entrant after a crash. The
   * eSIM's ICCID is taken from the operator's range and recorded before DownloadOrder names it, so a
   * retry after a crash or a lost answer continues the same order instead of reserving a second profile.
   */
  async function orderEsim(esimId: string, { job }: JobContext): Promise<void> {
    let esim = await esimById(db, esimId);
    if (esim.state !== 'ordering' && esim.state !== 'allocated') return;
    try {
      if (esim.state === 'ordering') {
        const iccid = esim.iccid ?? (await assignIccid(esimId));
        if (!iccid) return;
        await reserveProfile(iccid);
        // The order ended while DownloadOrder was out (its failure path, or the line was terminated).
        if (!(await markAllocated(db, esimId, now()))) return await giveBackLate(esimId, job.attempts);
        esim = { ...esim, iccid, state: 'allocated' };
      }
      // Our own matching ID, derived from the eSIM: a ConfirmOrder repeated after a crash asks for the
      // very same thing, so an SM-DP+ that already did it can answer it again instead of refusing.
      const confirmed = await deps.es2.confirmOrder({
        iccid: esim.iccid!,
        releaseFlag: true,
        matchingId: matchingIdFor(esimId),
      });
      const activationCode = formatActivationCode({
        smdpAddress: confirmed.smdpAddress,
        matchingId: confirmed.matchingId,
        smdpOid: null,
        confirmationCodeRequired: false,
      });
      const released = await db.transaction().execute(async (tx) => {
        const done = await markReleased(
          tx,
          esimId,
          { matchingId: confirmed.matchingId, activationCode },
          now(),
        );
        if (!done) return false;
        const line = await lineById(tx, esim.line_id);
        const account = await accountById(tx, esim.account_id);
        const plan = await deps.catalog.get(tx, line.plan_id, account.locale === 'zh-CN' ? 'zh-CN' : 'en');
        await deps.notifications.notify(
          tx,
          account,
          'esim_ready',
          { plan: plan.name, number: line.msisdn, code: activationCode, lineId: line.id },
          ['email'],
        );
        await auditEsim(tx, 'esim.released', esim, { iccid: esim.iccid });
        return true;
      });
      if (!released) await giveBackLate(esimId, job.attempts);
    } catch (error) {
      const final = (error instanceof Es2Error && error.final) || job.attempts >= job.max_attempts;
      if (!final) throw error;
      logger.warn(
        { esimId, err: error instanceof Error ? error.message : String(error) },
        'eSIM order failed for good',
      );
      await failOrder(esimId, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Records the next ICCID of the operator's range on an eSIM being ordered. null when there is none
   * to order (the range is used up: the order fails) or the order ended meanwhile.
   */
  async function assignIccid(esimId: string): Promise<string | null> {
    for (let tries = 0; tries < 20; tries++) {
      const iccid = await nextIccid(db, deps.iccidRange);
      if (!iccid) {
        await failOrder(esimId, `no ICCID left in the range ${deps.iccidRange.prefix}`);
        return null;
      }
      try {
        if (await recordIccid(db, esimId, iccid, now())) return iccid;
        // A stalled earlier attempt recorded one first, or the order ended.
        const esim = await iccidAndState(db, esimId);
        return esim.state === 'ordering' ? esim.iccid : null;
      } catch (error) {
        // Another runner took this ICCID for another eSIM a moment ago: pick again.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('could not record a free ICCID');
  }

  /**
   * DownloadOrder for the eSIM's own ICCID. "Already in use" (8.2.1/3.3) means an earlier attempt
   * reserved it and its answer was lost: nobody else orders an ICCID recorded on one of our eSIMs.
   */
  async function reserveProfile(iccid: string): Promise<void> {
    try {
      const reserved = await deps.es2.downloadOrder({ profileType: deps.profileType, iccid });
      if (reserved.iccid !== iccid)
        throw new Error(`ES2+ downloadOrder: asked for ICCID ${iccid}, reserved ${reserved.iccid}`);
    } catch (error) {
      if (!(error instanceof Es2Error && error.is(ES2_CODES.profileInUse))) throw error;
    }
  }

  /** A profile reserved by an order that ended meanwhile goes back to the SM-DP+ (once per attempt). */
  async function giveBackLate(esimId: string, attempt: number): Promise<void> {
    await deps.jobs.enqueue(db, cancelJob, { esimId }, { idempotencyKey: `cancel:${esimId}:${attempt}` });
  }

  /**
   * Runner: CancelOrder for the profile of an eSIM that will not be used (a failed order, or one that
   * ended while its DownloadOrder was out), so the SM-DP+ can hand it out again.
   */
  async function cancelReservation(esimId: string): Promise<void> {
    const esim = await esimById(db, esimId);
    if (!esim.iccid || !['failed', 'disabling', 'unusable'].includes(esim.state)) return;
    await cancelAtSmdp(esim.iccid);
    await auditEsim(db, 'esim.order_cancelled', esim, { iccid: esim.iccid });
  }

  /** CancelOrder back to Available; a final answer (unknown ICCID, already downloaded) leaves nothing to cancel. */
  async function cancelAtSmdp(iccid: string): Promise<void> {
    try {
      await deps.es2.cancelOrder({ iccid, finalProfileStatusIndicator: 'Available' });
    } catch (error) {
      if (!(error instanceof Es2Error && error.final)) throw error;
    }
  }

  /** The order job's failure path: the order fails (failOrder sends a profile it reserved back to the SM-DP+). */
  async function abandonOrder(esimId: string, reason: string): Promise<void> {
    await failOrder(esimId, reason);
  }

  /**
   * An order the SM-DP+ cannot fill: the eSIM fails and the profile it may have reserved goes back to
   * the SM-DP+ (a CancelOrder job); a line that never got a profile is refunded and its number freed.
   */
  async function failOrder(esimId: string, reason: string): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const esim = await esimById(tx, esimId);
      // Checked by the update itself: a failure path and a stalled last attempt may both get here.
      if (!(await markOrderFailed(tx, esimId, reason, now()))) return;
      // Recorded before DownloadOrder was sent: the SM-DP+ may hold it for us whatever it answered.
      if (esim.iccid)
        await deps.jobs.enqueue(tx, cancelJob, { esimId }, { idempotencyKey: `cancel:${esimId}` });
      const line = await lineById(tx, esim.line_id);
      const others = await otherLiveEsimsOfLine(tx, line.id, esimId);
      if (line.status === 'pending' && others.length === 0) {
        await setLineStatus(tx, line.id, 'failed', now());
        await deps.wallet.reverseCharge(tx, line.account_id, Number(line.price), {
          type: 'line',
          id: line.id,
        });
        await deps.numbers.release(tx, line.msisdn, false);
        const account = await accountById(tx, line.account_id);
        const plan = await deps.catalog.get(tx, line.plan_id, account.locale === 'zh-CN' ? 'zh-CN' : 'en');
        await deps.notifications.notify(tx, account, 'order_failed', {
          plan: plan.name,
          amount: formatMoney({ amount: Number(line.price), currency: line.currency }, account.locale),
        });
        await audit.record(tx, {
          actor: SYSTEM,
          action: 'line.failed',
          subject: { type: 'line', id: line.id },
          accountId: line.account_id,
          after: { reason, refunded: Number(line.price) },
        });
      }
      await auditEsim(tx, 'esim.failed', esim, { reason });
    });
  }

  /** Runner: an installed profile is ended on the network (SGP.22 leaves it to the operator), then marked unusable. */
  async function disableEsim(esimId: string, reason: string): Promise<void> {
    const esim = await esimById(db, esimId);
    if (esim.state === 'unusable') return;
    // A profile no device has downloaded is still the SM-DP+'s to hand out again.
    if (esim.iccid && !esim.eid) await cancelAtSmdp(esim.iccid);
    if (esim.iccid) await deps.network.deactivate(esim.iccid, reason);
    await db.transaction().execute(async (tx) => {
      await markUnusable(tx, esimId, now());
      await auditEsim(tx, 'esim.unusable', esim, { reason });
    });
  }

  return { orderEsim, abandonOrder, cancelReservation, disableEsim };
}

export type EsimProvisioning = ReturnType<typeof createEsimProvisioning>;
