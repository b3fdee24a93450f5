import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { IdParams } from '../../core/schemas.js';
import { callerOf } from '../../http/caller.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { principalOf } from '../identity/identity.guard.js';
import { presentAccount } from '../identity/identity.service.js';

export function suspensionRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const me = async (accountId: string) => presentAccount(await ctx.identity.getAccount(accountId));
  return async (app) => {
    app.post(
      '/api/v1/me/suspend',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['account'],
          summary: 'Lost or stolen: suspend the account at once (lines barred, other sessions signed out)',
          response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 409) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        await ctx.suspension.suspend(principal.accountId, callerOf(request), {
          keepSession: principal.sessionId,
          callerRole: principal.role,
        });
        return me(principal.accountId);
      },
    );

    app.post(
      '/api/v1/me/resume',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['account'],
          summary: 'Resume a suspended account (needs a sign-in from the last 10 minutes)',
          response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 409) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        await ctx.suspension.resume(principal.accountId, principal, callerOf(request));
        return me(principal.accountId);
      },
    );

    app.post(
      '/api/v1/me/lines/:id/suspend',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary:
            'Lost or stolen, one line only: barred on the network at once; the other lines keep working',
          params: IdParams,
          response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { accountId } = principalOf(request);
        await ctx.suspension.suspendLine(accountId, request.params.id, callerOf(request));
        return me(accountId);
      },
    );

    app.post(
      '/api/v1/me/lines/:id/resume',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['lines'],
          summary: 'Resume a suspended line (needs a sign-in from the last 10 minutes)',
          params: IdParams,
          response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        await ctx.suspension.resumeLine(principal.accountId, request.params.id, principal, callerOf(request));
        return me(principal.accountId);
      },
    );

    app.post(
      '/api/v1/staff/accounts/:id/suspend',
      {
        config: { access: ['agent', 'admin'] },
        schema: {
          tags: ['staff'],
          summary:
            'Suspend a subscriber reported lost or stolen (every session signed out); a staff account only by an admin',
          params: IdParams,
          response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => {
        await ctx.identity.getAccount(request.params.id);
        const principal = principalOf(request);
        await ctx.suspension.suspend(request.params.id, callerOf(request), { callerRole: principal.role });
        return me(request.params.id);
      },
    );

    app.post(
      '/api/v1/staff/accounts/:id/resume',
      {
        config: { access: ['agent', 'admin'] },
        schema: {
          tags: ['staff'],
          summary:
            'Lift a lost-or-stolen suspension once the caller has been identified; a staff account only by an admin',
          params: IdParams,
          response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => {
        await ctx.identity.getAccount(request.params.id);
        await ctx.suspension.resume(request.params.id, principalOf(request), callerOf(request));
        return me(request.params.id);
      },
    );

    const StaffLine = Type.Object({
      id: Type.String({ maxLength: 64 }),
      lineId: Type.String({ maxLength: 64 }),
    });
    for (const action of ['suspend', 'resume'] as const) {
      app.post(
        `/api/v1/staff/accounts/:id/lines/:lineId/${action}`,
        {
          config: { access: ['agent', 'admin'] },
          schema: {
            tags: ['staff'],
            summary: action === 'suspend' ? 'Suspend one line (lost or stolen)' : 'Resume one suspended line',
            params: StaffLine,
            response: { 200: Type.Ref('Account'), ...errorResponses(401, 403, 404, 409) },
          },
        },
        async (request) => {
          const { id, lineId } = request.params;
          await ctx.identity.getAccount(id);
          if (action === 'suspend') await ctx.suspension.suspendLine(id, lineId, callerOf(request));
          else await ctx.suspension.resumeLine(id, lineId, principalOf(request), callerOf(request));
          return me(id);
        },
      );
    }
  };
}
