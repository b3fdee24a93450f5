import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { isSchemaValidationError, issueOf } from '../../http/validation.js';
import {
  ELEMENT_INVALID,
  ELEMENT_MISSING,
  ES2_CODES,
  ES2_PATH,
  ES2_PROTOCOL,
  failedAnswer,
  type StatusCodeData,
  subjectOf,
} from './es2plus.js';

/** Who an ES2+ listener let in: the verified client certificate, or the proxy that vouched for one. */
export interface Es2Peer {
  id: string;
}

/** Decides whether a request comes from the SM-DP+ (null: it does not). */
export type Es2Authenticator = (request: FastifyRequest) => Es2Peer | null;

export const Es2Header = Type.Object(
  {
    functionRequesterIdentifier: Type.String({ minLength: 1, maxLength: 256 }),
    functionCallIdentifier: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: true },
);

export const Es2FailedAnswer = Type.Object({
  header: Type.Object({
    functionExecutionStatus: Type.Object({
      status: Type.Literal('Failed'),
      statusCodeData: Type.Object({
        subjectCode: Type.String(),
        reasonCode: Type.String(),
        subjectIdentifier: Type.Optional(Type.String()),
        message: Type.Optional(Type.String()),
      }),
    }),
  }),
});

/** What a request that never reached its handler is answered in ES2+ terms; null for an unexpected error. */
function es2FailureOf(error: FastifyError): [StatusCodeData, string] | null {
  if (error.validation) {
    if (isSchemaValidationError(error) && error.issues[0]) {
      const field = error.issues[0].field;
      const first = (error.validation as ErrorObject[])[0];
      const missing = first?.keyword === 'required';
      return [
        {
          subjectCode: subjectOf(field),
          reasonCode: missing ? ELEMENT_MISSING : ELEMENT_INVALID,
          subjectIdentifier: field,
        },
        `${field} ${missing ? 'is missing' : first ? issueOf(first).message : 'is invalid'}`,
      ];
    }
    return [{ subjectCode: '1.2', reasonCode: ELEMENT_INVALID }, 'the request is invalid'];
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return [
      { subjectCode: '1.2', reasonCode: ELEMENT_INVALID },
      `the request cannot be read (${error.code ?? status})`,
    ];
  return null;
}

/**
 * Everything that goes wrong inside an ES2+ scope is answered in ES2+ form, as SGP.22 peers expect:
 * HTTP 200 with `Failed` and a subject/reason code (2.2 a mandatory element missing, 2.1 malformed).
 * An unexpected fault is `Failed` 1.2/4.2 with HTTP 500, so the SM-DP+ sends the notification again.
 */
export function answerErrorsInEs2Form(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    reply.header('x-admin-protocol', ES2_PROTOCOL);
    const failure = es2FailureOf(error);
    if (failure) return reply.status(200).send(failedAnswer(...failure));
    request.log.error({ err: error }, 'ES2+ function failed');
    return reply.status(500).send(failedAnswer({ subjectCode: '1.2', reasonCode: '4.2' }, 'execution error'));
  });
}

const ProgressBody = Type.Object(
  {
    header: Es2Header,
    eid: Type.Optional(Type.String({ maxLength: 40 })),
    iccid: Type.String({ minLength: 1, maxLength: 24 }),
    profileType: Type.String({ minLength: 1, maxLength: 256 }),
    timestamp: Type.Union([Type.String({ minLength: 1, maxLength: 40 }), Type.Number()]),
    notificationPointId: Type.Union([Type.Integer(), Type.String({ pattern: '^[0-9]{1,9}$' })]),
    notificationPointStatus: Type.Object(
      { status: Type.String({ minLength: 1, maxLength: 64 }) },
      { additionalProperties: true },
    ),
    resultData: Type.Optional(Type.String()),
  },
  // SGP.22 lets peers add fields: the callback stays tolerant of unknown ones.
  { additionalProperties: true },
);

/**
 * The inbound ES2+ side (SM-DP+ → operator). Registered by the ES2+ listener, which authenticates
 * the SM-DP+ (mutual TLS or a trusted proxy), and, in demo mode only, on the public app for the
 * built-in emulator. `functionRequesterIdentifier` must be the configured SM-DP+ (SMDP_CALLER_ID).
 */
export function es2plusRoutes(ctx: AppContext, authenticate: Es2Authenticator): FastifyPluginAsyncTypebox {
  const peers = new WeakMap<FastifyRequest, Es2Peer>();
  return async (app) => {
    answerErrorsInEs2Form(app);
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-admin-protocol', ES2_PROTOCOL);
    });

    app.post(
      `${ES2_PATH}/handleDownloadProgressInfo`,
      {
        config: { access: 'public', rateLimit: false },
        schema: {
          tags: ['es2plus'],
          summary:
            'ES2+ HandleDownloadProgressInfo from the SM-DP+ (binds a device on point 4); 204, or 200 with an ES2+ Failed status',
          body: ProgressBody,
          response: { 200: Es2FailedAnswer, 204: Type.Null(), 500: Es2FailedAnswer },
        },
        // The caller is checked before its body is read: a stranger learns nothing about the function.
        onRequest: async (request, reply) => {
          const peer = authenticate(request);
          if (peer) {
            peers.set(request, peer);
            return;
          }
          request.log.warn(
            { peer: request.socket.remoteAddress },
            'ES2+ call from an unauthenticated peer refused',
          );
          return reply
            .status(200)
            .send(failedAnswer(ES2_CODES.requesterNotAllowed, 'the caller is not the configured SM-DP+'));
        },
      },
      async (request, reply) => {
        const { header } = request.body;
        const peer = peers.get(request)!;
        if (header.functionRequesterIdentifier !== ctx.config.smdp.callerId) {
          request.log.warn(
            { requester: header.functionRequesterIdentifier, peer: peer.id },
            'ES2+ notification from another requester refused',
          );
          return reply
            .status(200)
            .send(
              failedAnswer(
                { ...ES2_CODES.requesterNotAllowed, subjectIdentifier: 'functionRequesterIdentifier' },
                'functionRequesterIdentifier is not the configured SM-DP+',
              ),
            );
        }
        const answer = await ctx.lines.handleProgress(request.body, {
          requester: header.functionRequesterIdentifier,
          callId: header.functionCallIdentifier,
          peer: peer.id,
          requestId: request.id,
        });
        request.log.info(
          { iccid: request.body.iccid, point: request.body.notificationPointId, outcome: answer.outcome },
          'ES2+ download progress',
        );
        if (answer.outcome === 'refused')
          return reply.status(200).send(failedAnswer(answer.code, answer.message));
        return reply.status(204).send(null);
      },
    );
  };
}
