import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import type { EmuProfilesTable } from '../../db/schema.js';
import { isLoopback } from '../../http/loopback.js';
import { errorResponses } from '../../http/schemas.js';
import { defineJob, type Jobs } from '../../runner/jobs.js';
import { formatActivationCode, parseActivationCode } from '../../telecom/activation-code.js';
import { isValidEid } from '../../telecom/eid.js';
import { makeIccid, normalizeIccid } from '../../telecom/iccid.js';
import {
  ES2_CODES,
  ES2_PATH,
  ES2_PROTOCOL,
  es2Timestamp,
  type FunctionExecutionStatus,
  failedAnswer,
  NOTIFICATION_POINT,
  type StatusCodeData,
} from './es2plus.js';
import { answerErrorsInEs2Form, Es2Header } from './es2plus.routes.js';

export const EMULATOR_PREFIX = '/emulator/smdp';

/** SGP.22 lets peers add fields to ES2+ requests. */
const TOLERANT = { additionalProperties: true };

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
  const rows = await db
    .selectFrom('emu_profiles')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
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

  const success = { header: { functionExecutionStatus: { status: 'Executed-Success' } } };
  const failed = failedAnswer;
  const profileTypes = new Set(config.smdp.emulatorProfileTypes);

  async function profile(iccid: string) {
    return db.selectFrom('emu_profiles').selectAll().where('iccid', '=', iccid).executeTakeFirst();
  }

  async function setState(iccid: string, changes: Partial<EmuProfilesTable>) {
    await db
      .updateTable('emu_profiles')
      .set({ ...changes, updated_at: clock.now().toISOString() })
      .where('iccid', '=', iccid)
      .execute();
  }

  // The emulator is one in-process component: serialising inventory changes keeps two concurrent
  // DownloadOrders from minting or taking the same profile (on PostgreSQL they would otherwise race).
  let inventoryLock: Promise<unknown> = Promise.resolve();
  function serially<T>(work: () => Promise<T>): Promise<T> {
    const run = inventoryLock.then(work, work);
    inventoryLock = run.catch(() => undefined);
    return run;
  }

  /** The serial of an ICCID in the operator's range (1 … inventory hold profiles), else null. */
  function serialOf(iccid: string): number | null {
    const { prefix, length } = config.iccid;
    if (iccid.length !== length || !iccid.startsWith(prefix)) return null;
    return Number(iccid.slice(prefix.length, -1));
  }

  /**
   * A profile the operator names by ICCID: the inventory holds serials 1 … SMDP_EMULATOR_INVENTORY of
   * the operator's range, made on first use with the profile type asked for.
   */
  async function namedProfile(iccid: string, profileType: string) {
    const found = await profile(iccid);
    if (found) return found;
    const serial = serialOf(iccid);
    if (serial === null || serial < 1) return 'unknown' as const;
    if (serial > config.smdp.emulatorInventory) return 'exhausted' as const;
    await db
      .insertInto('emu_profiles')
      .values({
        iccid,
        profile_type: profileType,
        state: 'available',
        eid: null,
        matching_id: null,
        updated_at: clock.now().toISOString(),
      })
      .onConflict((oc) => oc.column('iccid').doNothing())
      .execute();
    return (await profile(iccid))!;
  }

  /**
   * DownloadOrder for a named ICCID: the profile is taken only if it is available, in one conditional
   * update, so two orders for one ICCID (even through two API processes) cannot both get it.
   */
  async function reserveNamed(
    iccid: string,
    profileType: string | null,
    reservation: { state: 'allocated' | 'linked'; eid: string | null },
  ) {
    const p = await namedProfile(iccid, profileType ?? config.smdp.profileType);
    if (typeof p === 'string') return p;
    if (profileType && p.profile_type !== profileType) return 'other-type' as const;
    const taken = await db
      .updateTable('emu_profiles')
      .set({ ...reservation, updated_at: clock.now().toISOString() })
      .where('iccid', '=', iccid)
      .where('state', '=', 'available')
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1 ? ('taken' as const) : ('in-use' as const);
  }

  /** An available profile of the type, creating one from the operator range while the inventory lasts. */
  async function takeAvailable(profileType: string) {
    return db.transaction().execute(async (tx) => {
      const free = await tx
        .selectFrom('emu_profiles')
        .select('iccid')
        .where('profile_type', '=', profileType)
        .where('state', '=', 'available')
        .orderBy('iccid')
        .limit(1)
        .executeTakeFirst();
      if (free) return free.iccid;
      // Profiles the operator named by ICCID are made out of order: the next new one follows the highest.
      const highest = await tx
        .selectFrom('emu_profiles')
        .select('iccid')
        .where('iccid', 'like', `${config.iccid.prefix}%`)
        .orderBy('iccid', 'desc')
        .limit(1)
        .executeTakeFirst();
      const serial = (highest ? (serialOf(highest.iccid) ?? 0) : 0) + 1;
      if (serial > config.smdp.emulatorInventory) return null;
      const iccid = makeIccid(config.iccid.prefix, serial, config.iccid.length);
      await tx
        .insertInto('emu_profiles')
        .values({
          iccid,
          profile_type: profileType,
          state: 'available',
          eid: null,
          matching_id: null,
          updated_at: clock.now().toISOString(),
        })
        .execute();
      return iccid;
    });
  }

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

  const routes: FastifyPluginAsyncTypebox = async (app) => {
    app.addHook('onSend', async (request, reply) => {
      if (request.url.includes(ES2_PATH)) reply.header('x-admin-protocol', ES2_PROTOCOL);
    });

    // Fault injection and the artificial delay apply to every ES2+ function.
    async function preamble(reply: FastifyReply): Promise<object | null> {
      if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
      if (faults.httpStatusNext) {
        const status = faults.httpStatusNext;
        faults.httpStatusNext = null;
        reply.status(status).send();
        return {};
      }
      if (faults.failNext) {
        const code = faults.failNext;
        faults.failNext = null;
        return failed(code, 'injected failure');
      }
      return null;
    }

    // The ES2+ functions share one scope whose errors are answered in ES2+ form (Failed, 2.2 / 2.1).
    const functions: Array<(scope: typeof app) => void> = [];
    const es2 = (
      name: string,
      summary: string,
      body: ReturnType<typeof Type.Object>,
      handle: (body: Record<string, unknown>) => Promise<object>,
    ) =>
      functions.push((scope) =>
        scope.post(
          `${EMULATOR_PREFIX}${ES2_PATH}/${name}`,
          {
            config: { access: 'public', rateLimit: false },
            schema: { tags: ['demo'], summary: `SM-DP+ emulator (demo only): ES2+ ${summary}`, body },
          },
          async (request, reply) => {
            // The emulator serves one operator: the requester it was configured with (SMDP_REQUESTER_ID).
            const requester = (request.body as { header?: { functionRequesterIdentifier?: unknown } }).header
              ?.functionRequesterIdentifier;
            if (requester !== config.smdp.requesterId)
              return failed(ES2_CODES.requesterNotAllowed, 'unknown function requester');
            const injected = await preamble(reply);
            if (injected) return reply.sent ? reply : injected;
            const answer = await handle(request.body as Record<string, unknown>);
            if (faults.dropAnswerNext === name) {
              faults.dropAnswerNext = null;
              reply.hijack();
              request.raw.socket.destroy();
              return reply;
            }
            return answer;
          },
        ),
      );

    es2(
      'downloadOrder',
      'DownloadOrder',
      Type.Object(
        {
          header: Es2Header,
          eid: Type.Optional(Type.String()),
          iccid: Type.Optional(Type.String()),
          profileType: Type.Optional(Type.String()),
        },
        TOLERANT,
      ),
      async (body) => {
        const eid = body.eid as string | undefined;
        if (eid && !isValidEid(eid)) return failed(ES2_CODES.refused, 'invalid EID');
        // Only the configured profile types exist here, as at a real SM-DP+.
        if (body.profileType && !profileTypes.has(String(body.profileType)))
          return failed(
            { ...ES2_CODES.profileTypeUnknown, subjectIdentifier: 'profileType' },
            'unknown profile type',
          );
        const state = eid ? 'linked' : 'allocated';
        if (body.iccid) {
          const iccid = normalizeIccid(String(body.iccid));
          if (!iccid) return failed(ES2_CODES.iccidUnknown, 'ICCID unknown');
          const type = body.profileType ? String(body.profileType) : null;
          const outcome = await serially(() => reserveNamed(iccid, type, { state, eid: eid ?? null }));
          if (outcome === 'taken') return { ...success, iccid };
          if (outcome === 'unknown') return failed(ES2_CODES.iccidUnknown, 'ICCID unknown');
          if (outcome === 'exhausted')
            return failed(ES2_CODES.inventoryExhausted, 'no profile left for this profile type');
          if (outcome === 'other-type')
            return failed(
              { subjectCode: '8.2.5', reasonCode: '3.10', subjectIdentifier: 'profileType' },
              'the ICCID is a profile of another profile type',
            );
          return failed(ES2_CODES.profileInUse, 'profile already in use');
        }
        const type = String(body.profileType ?? '');
        if (!type) return failed(ES2_CODES.profileTypeUnknown, 'profile type missing');
        const iccid = await serially(async () => {
          const taken = await takeAvailable(type);
          if (taken) await setState(taken, { state, eid: eid ?? null });
          return taken;
        });
        if (!iccid) return failed(ES2_CODES.inventoryExhausted, 'no profile left for this profile type');
        return { ...success, iccid };
      },
    );

    es2(
      'confirmOrder',
      'ConfirmOrder',
      Type.Object(
        {
          header: Es2Header,
          iccid: Type.String(),
          releaseFlag: Type.Boolean(),
          eid: Type.Optional(Type.String()),
          matchingId: Type.Optional(Type.String()),
        },
        TOLERANT,
      ),
      async (body) => {
        const iccid = normalizeIccid(String(body.iccid));
        const p = iccid ? await profile(iccid) : undefined;
        if (!p || !iccid) return failed(ES2_CODES.iccidUnknown, 'ICCID unknown');
        // The same ConfirmOrder again (the operator retried after losing the answer): the same answer.
        const repeat =
          (p.state === 'released' || p.state === 'confirmed') &&
          body.matchingId !== undefined &&
          p.matching_id === body.matchingId &&
          (p.state === 'released') === body.releaseFlag;
        if (repeat)
          return {
            ...success,
            ...(p.eid ? { eid: p.eid } : {}),
            matchingId: p.matching_id,
            smdpAddress: config.smdp.emulatorAddress,
          };
        if (p.state !== 'allocated' && p.state !== 'linked')
          return failed(ES2_CODES.invalidTransition, `profile is ${p.state}`);
        const eid = (body.eid as string | undefined) ?? p.eid ?? undefined;
        if (p.eid && body.eid && body.eid !== p.eid)
          return failed(ES2_CODES.otherEidLinked, 'a different EID is linked');
        const matchingId =
          (body.matchingId as string | undefined) ??
          randomBytes(10).toString('hex').toUpperCase().match(/.{5}/g)!.join('-');
        const clash = await db
          .selectFrom('emu_profiles')
          .select('iccid')
          .where('matching_id', '=', matchingId)
          .executeTakeFirst();
        if (clash) return failed(ES2_CODES.matchingIdInUse, 'matching id already in use');
        await setState(iccid, {
          state: body.releaseFlag ? 'released' : 'confirmed',
          matching_id: matchingId,
          eid: eid ?? null,
        });
        return { ...success, ...(eid ? { eid } : {}), matchingId, smdpAddress: config.smdp.emulatorAddress };
      },
    );

    es2(
      'cancelOrder',
      'CancelOrder',
      Type.Object(
        {
          header: Es2Header,
          iccid: Type.String(),
          finalProfileStatusIndicator: Type.Union([Type.Literal('Available'), Type.Literal('Unavailable')]),
        },
        TOLERANT,
      ),
      async (body) => {
        const iccid = normalizeIccid(String(body.iccid));
        const p = iccid ? await profile(iccid) : undefined;
        if (!p || !iccid) return failed(ES2_CODES.iccidUnknown, 'ICCID unknown');
        if (p.state === 'downloaded' || p.state === 'installed')
          return failed(ES2_CODES.invalidTransition, `profile is ${p.state}`);
        const available = body.finalProfileStatusIndicator === 'Available';
        await setState(iccid, {
          state: available ? 'available' : 'unavailable',
          eid: null,
          matching_id: null,
        });
        return success;
      },
    );

    es2(
      'releaseProfile',
      'ReleaseProfile',
      Type.Object({ header: Es2Header, iccid: Type.String() }, TOLERANT),
      async (body) => {
        const iccid = normalizeIccid(String(body.iccid));
        const p = iccid ? await profile(iccid) : undefined;
        if (!p || !iccid) return failed(ES2_CODES.iccidUnknown, 'ICCID unknown');
        if (p.state !== 'confirmed') return failed(ES2_CODES.invalidTransition, `profile is ${p.state}`);
        await setState(iccid, { state: 'released' });
        return success;
      },
    );

    await app.register(async (scope) => {
      answerErrorsInEs2Form(scope);
      // In production (the emulator allowed by name) only this machine's runners may order from it:
      // a stranger could otherwise cancel or release anyone's profile. Others are told nothing is here.
      if (config.mode === 'production') {
        scope.addHook('onRequest', async (request, reply) => {
          if (!isLoopback(request.socket.remoteAddress)) return reply.callNotFound();
        });
      }
      for (const register of functions) register(scope);
    });

    app.post(
      `${EMULATOR_PREFIX}/devices/:eid/download`,
      {
        config: { access: 'public', rateLimit: false },
        schema: {
          tags: ['demo'],
          summary: 'Simulated device (demo only): download and install the profile of an activation code',
          params: Type.Object({ eid: Type.String({ maxLength: 40 }) }),
          body: Type.Object({ activationCode: Type.String({ maxLength: 300 }) }),
          response: {
            200: Type.Object({ iccid: Type.String(), eid: Type.String(), state: Type.Literal('installed') }),
            ...errorResponses(400, 409),
          },
        },
      },
      async (request) => {
        const { eid } = request.params;
        if (!isValidEid(eid)) throw new AppError('INVALID_EID', { field: 'eid', in: 'params' });
        const code = parseActivationCode(request.body.activationCode);
        if (!code) throw new AppError('INVALID_ACTIVATION_CODE', { field: 'activationCode' });
        const p = await db
          .selectFrom('emu_profiles')
          .selectAll()
          .where('matching_id', '=', code.matchingId)
          .executeTakeFirst();
        if (!p || code.smdpAddress.toLowerCase() !== config.smdp.emulatorAddress.toLowerCase()) {
          throw new AppError('PROFILE_NOT_DOWNLOADABLE', { reason: 'unknown matching id' });
        }
        if (p.eid && p.eid !== eid)
          throw new AppError('PROFILE_NOT_DOWNLOADABLE', { reason: 'linked to another EID' });
        if (p.state !== 'released' && !(p.state === 'installed' && p.eid === eid)) {
          throw new AppError('PROFILE_NOT_DOWNLOADABLE', { reason: `profile is ${p.state}` });
        }
        await setState(p.iccid, { state: 'downloaded', eid });
        await sendProgress(
          { iccid: p.iccid, eid, profileType: p.profile_type },
          NOTIFICATION_POINT.downloaded,
        );
        await setState(p.iccid, { state: 'installed' });
        await sendProgress(
          { iccid: p.iccid, eid, profileType: p.profile_type },
          NOTIFICATION_POINT.installed,
        );
        return { iccid: p.iccid, eid, state: 'installed' as const };
      },
    );
  };

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
