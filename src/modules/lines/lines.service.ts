import { Type } from 'typebox';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { formatMoney } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { DevicesTable, EsimsTable, LinesTable } from '../../db/schema.js';
import type { Complete } from '../../http/idempotency.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import type { Es2Client } from '../../integrations/smdp/client.js';
import { ES2_CODES, Es2Error } from '../../integrations/smdp/es2plus.js';
import { defineJob, type JobContext, type Jobs } from '../../runner/jobs.js';
import { formatActivationCode } from '../../telecom/activation-code.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { createDownloadProgress } from './download-progress.js';
import type { NumberPool } from './numbers.js';
import { accountById, accountStatus } from './stores/accounts.store.js';
import {
  boundDevice,
  boundDeviceOfEsim,
  boundDevicesOfAccount,
  renameDevice as saveDeviceName,
  unbindDevice,
  unbindDevicesOfAccount,
} from './stores/devices.store.js';
import {
  activationCodeOf,
  countEsimsInStates,
  esimById,
  esimsOfLine,
  esimsToEndOfLine,
  iccidAndState,
  iccidOf,
  insertEsim,
  isUniqueViolation,
  markAllocated,
  markDisabling,
  markOrderFailed,
  markReleased,
  markUnusable,
  nextIccid,
  otherLiveEsimsOfLine,
  pendingReplacementOf,
  recordIccid,
} from './stores/esims.store.js';
import { addonAllowances } from './stores/extras.store.js';
import {
  effectiveStatus,
  insertLine,
  lineById,
  linesOfAccount,
  openLinesOfAccount,
  ownActiveLine,
  ownLine,
  setLineStatus,
} from './stores/lines.store.js';

const SYSTEM: Actor = { type: 'system', id: 'lines' };
/** Profiles that still count towards the per-line limit. */
const LIVE_STATES = ['ordering', 'allocated', 'released', 'downloaded', 'installed'] as const;

/** The matching ID we ask the SM-DP+ to use for an eSIM: unique, stable across retries (SGP.22 allows A–Z, 0–9, -). */
export function matchingIdFor(esimId: string): string {
  return esimId
    .replace(/^esm_/, '')
    .toUpperCase()
    .match(/.{1,5}/g)!
    .join('-');
}

export function createLinesService(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  logger: Logger;
  jobs: Jobs;
  audit: AuditService;
  notifications: NotificationService;
  wallet: WalletService;
  catalog: CatalogService;
  numbers: NumberPool;
  es2: Es2Client;
  network: NetworkAdapter;
  policies: PolicyService;
}) {
  const { db, clock, config, audit } = deps;
  const logger = deps.logger.child({ component: 'lines' });

  const orderJob = defineJob({
    kind: 'lines.esim.order',
    payload: Type.Object({ esimId: Type.String() }),
    maxAttempts: 8,
    handle: ({ esimId }, context) => orderEsim(esimId, context),
    // No attempt left (its runner may have died on the last one): the order fails as it would have.
    onDeadLetter: ({ esimId }, { reason }) => abandonOrder(esimId, reason),
  });
  const disableJob = defineJob({
    kind: 'lines.esim.disable',
    payload: Type.Object({ esimId: Type.String(), reason: Type.String() }),
    maxAttempts: 30,
    handle: ({ esimId, reason }) => disableEsim(esimId, reason),
  });
  const cancelJob = defineJob({
    kind: 'lines.esim.cancel',
    payload: Type.Object({ esimId: Type.String() }),
    maxAttempts: 30,
    handle: ({ esimId }) => cancelReservation(esimId),
  });
  deps.jobs.register(orderJob, disableJob, cancelJob);

  const now = () => clock.now().toISOString();

  function presentEsim(e: EsimsTable) {
    return {
      id: e.id,
      // Chosen before the SM-DP+ has reserved it: not the subscriber's profile yet.
      iccid: e.state === 'ordering' ? null : e.iccid,
      activationCode: e.activation_code,
      state: e.state,
      eid: e.eid,
      createdAt: e.created_at,
    };
  }

  function presentDevice(d: DevicesTable, iccid: string | null) {
    return { id: d.id, eid: d.eid, name: d.name, lineId: d.line_id, iccid, boundAt: d.bound_at };
  }

  async function presentLine(executor: Executor, line: LinesTable, locale = 'en') {
    const esims = await esimsOfLine(executor, line.id);
    const plan = await deps.catalog.get(executor, line.plan_id, locale === 'zh-CN' ? 'zh-CN' : 'en');
    const current = esims.filter((e) => e.state !== 'failed').at(0) ?? esims.at(0)!;
    // What the current allowances were made of: the plan plus the add-ons bought for it.
    const extra = await addonAllowances(executor, line);
    return {
      id: line.id,
      status: effectiveStatus(line, clock.now()),
      msisdn: line.msisdn,
      planId: line.plan_id,
      planName: plan.name,
      price: { amount: Number(line.price), currency: line.currency },
      esim: presentEsim(current),
      esims: esims.map(presentEsim),
      allowances: {
        dataBytes: line.data_bytes_left === null ? null : Number(line.data_bytes_left),
        voiceSeconds: line.voice_seconds_left === null ? null : Number(line.voice_seconds_left),
        sms: line.sms_left,
        total: {
          dataBytes: (plan.dataMb + extra.dataMb) * 1024 * 1024,
          voiceSeconds: (plan.voiceMinutes + extra.voiceMinutes) * 60,
          sms: plan.sms + extra.sms,
        },
      },
      activatedAt: line.activated_at,
      expiresAt: line.expires_at,
      createdAt: line.created_at,
    };
  }

  async function newEsim(
    tx: Executor,
    line: { id: string; account_id: string },
    replaces: string | null = null,
  ) {
    const esim: EsimsTable = {
      id: newId('esm', clock.now().getTime()),
      line_id: line.id,
      account_id: line.account_id,
      iccid: null,
      state: 'ordering',
      matching_id: null,
      activation_code: null,
      eid: null,
      failure: null,
      replaces_esim_id: replaces,
      created_at: now(),
      updated_at: now(),
    };
    await insertEsim(tx, esim);
    await deps.jobs.enqueue(tx, orderJob, { esimId: esim.id }, { idempotencyKey: `order:${esim.id}` });
    return esim;
  }

  /** Buys a line: the price leaves the wallet, a number is assigned and the eSIM is ordered by the runner. */
  async function buy(
    accountId: string,
    planId: string,
    locale: string,
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    return db.transaction().execute(async (tx) => {
      const status = await accountStatus(tx, accountId);
      if (status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status });
      const plan = await deps.catalog.get(tx, planId, 'en');
      if (plan.status !== 'active') throw new AppError('PLAN_RETIRED', { field: 'planId' });
      const lineId = newId('lin', clock.now().getTime());
      await deps.wallet.charge(tx, accountId, plan.price.amount, { type: 'line', id: lineId });
      const msisdn = await deps.numbers.assign(tx, lineId);
      const line: LinesTable = {
        id: lineId,
        account_id: accountId,
        plan_id: planId,
        msisdn,
        status: 'pending',
        price: plan.price.amount,
        currency: plan.price.currency,
        data_bytes_left: null,
        voice_seconds_left: null,
        sms_left: null,
        activated_at: null,
        expires_at: null,
        created_at: now(),
        updated_at: now(),
      };
      await insertLine(tx, line);
      await newEsim(tx, line);
      await audit.record(tx, {
        actor,
        action: 'line.purchased',
        subject: { type: 'line', id: lineId },
        accountId,
        after: { planId, msisdn, price: plan.price },
        requestId,
      });
      const body = await presentLine(tx, line, locale);
      await complete(tx, body);
      return body;
    });
  }

  /** One more profile on the same line and number, for one more device (R7). */
  async function addEsim(
    accountId: string,
    lineId: string,
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    return db.transaction().execute(async (tx) => {
      const line = await ownLine(tx, accountId, lineId);
      if (line.status !== 'active' && line.status !== 'pending')
        throw new AppError('LINE_NOT_ACTIVE', { status: line.status });
      const live = await countEsimsInStates(tx, lineId, LIVE_STATES);
      const max = (await deps.policies.get(tx)).maxProfilesPerLine;
      if (live >= max) throw new AppError('DEVICE_LIMIT_REACHED', { max }, { max });
      const esim = await newEsim(tx, line);
      await audit.record(tx, {
        actor,
        action: 'esim.ordered',
        subject: { type: 'esim', id: esim.id },
        accountId,
        after: { lineId },
        requestId,
      });
      const body = presentEsim(esim);
      await complete(tx, body);
      return body;
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
        await audit.record(tx, {
          actor: SYSTEM,
          action: 'esim.released',
          subject: { type: 'esim', id: esimId },
          accountId: esim.account_id,
          after: { iccid: esim.iccid },
        });
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
      const iccid = await nextIccid(db, config.iccid);
      if (!iccid) {
        await failOrder(esimId, `no ICCID left in the range ${config.iccid.prefix}`);
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
      const reserved = await deps.es2.downloadOrder({ profileType: config.smdp.profileType, iccid });
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
    await audit.record(db, {
      actor: SYSTEM,
      action: 'esim.order_cancelled',
      subject: { type: 'esim', id: esimId },
      accountId: esim.account_id,
      after: { iccid: esim.iccid },
    });
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
      await audit.record(tx, {
        actor: SYSTEM,
        action: 'esim.failed',
        subject: { type: 'esim', id: esimId },
        accountId: esim.account_id,
        after: { reason },
      });
    });
  }

  /** The new phone is in service: the old phone's device is unbound and its profile made unusable. */
  async function retireMovedFrom(tx: Executor, oldEsimId: string, accountId: string) {
    const old = await boundDeviceOfEsim(tx, oldEsimId);
    if (old) await unbindDevice(tx, old.id, now());
    await markDisabling(tx, oldEsimId, now(), ['installed', 'released', 'downloaded']);
    await deps.jobs.enqueue(
      tx,
      disableJob,
      { esimId: oldEsimId, reason: 'moved to a new phone' },
      { idempotencyKey: `disable:${oldEsimId}` },
    );
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
  async function moveToNewPhone(
    accountId: string,
    deviceId: string,
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    return db.transaction().execute(async (tx) => {
      const device = await boundDevice(tx, accountId, deviceId);
      const line = await ownActiveLine(tx, accountId, device.line_id, clock.now());
      // Asking twice gives the same new profile rather than a second one.
      const pending = await pendingReplacementOf(tx, device.esim_id);
      const esim = pending ?? (await newEsim(tx, line, device.esim_id));
      if (!pending) {
        await audit.record(tx, {
          actor,
          action: 'device.move_started',
          subject: { type: 'device', id: deviceId },
          accountId,
          after: { newEsim: esim.id },
          requestId,
        });
      }
      const body = { ...presentEsim(esim), replacesDeviceId: deviceId };
      await complete(tx, body);
      return body;
    });
  }

  /** Ends every line of an account (deregistration): profiles made unusable, devices unbound, numbers quarantined. */
  async function terminateAccountLines(tx: Executor, accountId: string, reason: string) {
    const lines = await openLinesOfAccount(tx, accountId);
    await unbindDevicesOfAccount(tx, accountId, now());
    for (const line of lines) {
      await setLineStatus(tx, line.id, 'terminated', now());
      await deps.numbers.release(tx, line.msisdn, true);
      const esims = await esimsToEndOfLine(tx, line.id);
      for (const e of esims) {
        await markDisabling(tx, e.id, now());
        await deps.jobs.enqueue(
          tx,
          disableJob,
          { esimId: e.id, reason },
          { idempotencyKey: `disable:${e.id}` },
        );
      }
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

  async function devices(executor: Executor, accountId: string) {
    const rows = await boundDevicesOfAccount(executor, accountId);
    return rows.map((r) => presentDevice(r, r.iccid));
  }

  /** Unbinds a device: it leaves the list at once; the runner makes its profile unusable on the network. */
  async function unbind(accountId: string, deviceId: string, actor: Actor, requestId: string) {
    await db.transaction().execute(async (tx) => {
      const device = await boundDevice(tx, accountId, deviceId);
      await unbindDevice(tx, deviceId, now());
      await markDisabling(tx, device.esim_id, now());
      await deps.jobs.enqueue(
        tx,
        disableJob,
        { esimId: device.esim_id, reason: 'unbound by subscriber' },
        { idempotencyKey: `disable:${device.esim_id}` },
      );
      await audit.record(tx, {
        actor,
        action: 'device.unbound',
        subject: { type: 'device', id: deviceId },
        accountId,
        before: { eid: device.eid },
        requestId,
      });
    });
  }

  async function renameDevice(
    accountId: string,
    deviceId: string,
    name: string,
    actor: Actor,
    requestId: string,
  ) {
    return db.transaction().execute(async (tx) => {
      const device = await boundDevice(tx, accountId, deviceId);
      await saveDeviceName(tx, deviceId, name);
      await audit.record(tx, {
        actor,
        action: 'device.renamed',
        subject: { type: 'device', id: deviceId },
        accountId,
        before: { name: device.name },
        after: { name },
        requestId,
      });
      return presentDevice({ ...device, name }, await iccidOf(tx, device.esim_id));
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
      await audit.record(tx, {
        actor: SYSTEM,
        action: 'esim.unusable',
        subject: { type: 'esim', id: esimId },
        accountId: esim.account_id,
        after: { reason },
      });
    });
  }

  async function list(accountId: string, locale: string) {
    const lines = await linesOfAccount(db, accountId);
    return Promise.all(lines.map((l) => presentLine(db, l, locale)));
  }

  async function get(accountId: string, lineId: string, locale: string) {
    return presentLine(db, await ownLine(db, accountId, lineId), locale);
  }

  /** The activation code of one of the subscriber's profiles (for the QR code). */
  async function activationCode(accountId: string, esimId: string): Promise<string> {
    const esim = await activationCodeOf(db, accountId, esimId);
    if (!esim?.activation_code) throw new AppError('NOT_FOUND', { field: 'id' });
    return esim.activation_code;
  }

  const progress = createDownloadProgress({
    db,
    clock,
    logger: deps.logger,
    audit,
    catalog: deps.catalog,
    retireMovedFrom,
  });

  return {
    terminateAccountLines,
    buy,
    addEsim,
    moveToNewPhone,
    list,
    get,
    devices,
    unbind,
    renameDevice,
    /** ES2+ HandleDownloadProgressInfo from the SM-DP+ (see download-progress.ts). */
    handleProgress: progress.handle,
    activationCode,
    orderJob,
    disableJob,
    cancelJob,
  };
}

export type LinesService = ReturnType<typeof createLinesService>;
