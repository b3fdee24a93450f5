import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { AppError } from '../../core/errors.js';
import { isLoopback } from '../../http/loopback.js';
import { errorResponses } from '../../http/schemas.js';
import { parseActivationCode } from '../../telecom/activation-code.js';
import { isValidEid } from '../../telecom/eid.js';
import { normalizeIccid } from '../../telecom/iccid.js';
import type { EmulatorFaults } from './emulator.js';
import type { EmulatorProfiles } from './emulator.profiles.js';
import { ES2_CODES, ES2_PATH, ES2_PROTOCOL, failedAnswer, NOTIFICATION_POINT } from './es2plus.js';
import { answerErrorsInEs2Form, Es2Header } from './es2plus.routes.js';

export const EMULATOR_PREFIX = '/emulator/smdp';

/** SGP.22 lets peers add fields to ES2+ requests. */
const TOLERANT = { additionalProperties: true };

/**
 * The SM-DP+ emulator's HTTP side (demo mode and tests): the ES2+ functions at their SGP.22 paths,
 * with the injected faults, and the simulated device that downloads a profile.
 */
export function emulatorRoutes(deps: {
  config: Config;
  faults: EmulatorFaults;
  profiles: EmulatorProfiles;
  /** Tells the operator of a download step (HandleDownloadProgressInfo), now or later. */
  sendProgress(p: { iccid: string; eid: string; profileType: string }, point: number): Promise<void>;
}): FastifyPluginAsyncTypebox {
  const { config, faults, sendProgress } = deps;
  const { profile, byMatchingId, matchingIdInUse, setState, serially, reserveNamed, takeAvailable } =
    deps.profiles;
  const success = { header: { functionExecutionStatus: { status: 'Executed-Success' } } };
  const failed = failedAnswer;
  const profileTypes = new Set(config.smdp.emulatorProfileTypes);

  return async (app) => {
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
        if (await matchingIdInUse(matchingId))
          return failed(ES2_CODES.matchingIdInUse, 'matching id already in use');
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
        const p = await byMatchingId(code.matchingId);
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
}
