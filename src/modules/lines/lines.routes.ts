import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { IdParams } from '../../core/schemas.js';
import { callerOf } from '../../http/caller.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses, IdempotencyHeader } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { Device, Esim, Line } from './lines.schemas.js';

export function linesRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { lines, idempotency } = ctx;
  return async (app) => {
    app.post(
      '/api/v1/me/lines',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary:
            'Buy a plan: paid from the balance; the line is pending until its eSIM is installed (idempotent)',
          headers: IdempotencyHeader,
          body: Type.Object({ planId: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 201: Line, ...errorResponses(400, 401, 403, 404, 409, 503) },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lines.buy(accountId, request.body.planId, callerOf(request, complete)),
        );
      },
    );

    app.get(
      '/api/v1/me/lines',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'The subscriber’s lines with their eSIMs and remaining allowances',
          response: {
            200: Type.Object({ items: Type.Array(Line), nextCursor: Type.Null() }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => ({
        items: await lines.list(principalOf(request).accountId, request.locale),
        nextCursor: null,
      }),
    );

    app.get(
      '/api/v1/me/lines/:id',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'One line with remaining allowances',
          params: IdParams,
          response: { 200: Line, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => lines.get(principalOf(request).accountId, request.params.id, request.locale),
    );

    app.post(
      '/api/v1/me/lines/:id/esims',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'A new eSIM profile on the same line and number, for one more device (idempotent)',
          headers: IdempotencyHeader,
          params: IdParams,
          response: { 201: Esim, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lines.addEsim(accountId, request.params.id, callerOf(request, complete)),
        );
      },
    );

    app.get(
      '/api/v1/me/esims/:id/qr.svg',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'The activation code as a QR code (SVG)',
          params: IdParams,
          produces: ['image/svg+xml'],
        },
      },
      async (request, reply) => {
        const code = await lines.activationCode(principalOf(request).accountId, request.params.id);
        const { default: QRCode } = await import('qrcode');
        const svg = await QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
        return reply.type('image/svg+xml').header('cache-control', 'private, no-store').send(svg);
      },
    );

    app.get(
      '/api/v1/me/devices',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['devices'],
          summary: 'Devices the subscriber’s eSIMs are installed on (设备管理)',
          response: {
            200: Type.Object({ items: Type.Array(Device), nextCursor: Type.Null() }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => ({
        items: await lines.devices(principalOf(request).accountId),
        nextCursor: null,
      }),
    );

    app.patch(
      '/api/v1/me/devices/:id',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['devices'],
          summary: 'Rename a device',
          params: IdParams,
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 60 }) }),
          response: { 200: Device, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        return lines.renameDevice(
          principalOf(request).accountId,
          request.params.id,
          request.body.name.trim(),
          callerOf(request),
        );
      },
    );

    app.post(
      '/api/v1/me/devices/:id/move',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['devices'],
          summary:
            'Move the line to a new phone: a new profile for the same number; the old one ends once the new one is installed (idempotent)',
          headers: IdempotencyHeader,
          params: IdParams,
          response: {
            201: Type.Intersect([Esim, Type.Object({ replacesDeviceId: Type.String() })]),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          lines.moveToNewPhone(accountId, request.params.id, callerOf(request, complete)),
        );
      },
    );

    app.delete(
      '/api/v1/me/devices/:id',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['devices'],
          summary:
            'Unbind a device (解除绑定): it leaves the list at once; the profile is made unusable in the background',
          params: IdParams,
          response: {
            202: Type.Object({ id: Type.String(), status: Type.Literal('unbinding') }),
            ...errorResponses(401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        await lines.unbind(principalOf(request).accountId, request.params.id, callerOf(request));
        return reply.status(202).send({ id: request.params.id, status: 'unbinding' as const });
      },
    );
  };
}
