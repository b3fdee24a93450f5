import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import { ListOf } from '../../../core/pagination.js';
import { callerOf } from '../../../http/caller.js';
import { ADMIN, STAFF } from '../../../http/roles.js';
import { errorResponses } from '../../../http/schemas.js';
import { PolicyPatch, PolicySchema } from '../../policies/policies.service.js';
import { Id, StaffMember } from '../backoffice.schemas.js';

/** Staff accounts and the policies in force. */
export function memberRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { operations, policies } = ctx;
  return async (app) => {
    app.get(
      '/api/v1/staff/policies',
      {
        config: { access: STAFF },
        schema: {
          tags: ['staff'],
          summary: 'The policies in force (all staff may read them; admins change them)',
          response: { 200: PolicySchema, ...errorResponses(401, 403) },
        },
      },
      async () => policies.get(),
    );

    app.patch(
      '/api/v1/staff/policies',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Change policies; audited, in force without a restart',
          body: PolicyPatch,
          response: { 200: PolicySchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => policies.update(request.body, callerOf(request)),
    );

    app.get(
      '/api/v1/staff/members',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Staff accounts',
          response: { 200: ListOf(StaffMember), ...errorResponses(401, 403) },
        },
      },
      async () => operations.staffList(),
    );

    app.post(
      '/api/v1/staff/members',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Invite a staff member by email with a role (they sign in with a one-time code)',
          body: Type.Object({
            email: Type.String({ minLength: 3, maxLength: 254 }),
            role: Type.Enum(['agent', 'reviewer', 'admin']),
            locale: Type.Optional(Type.Enum(['en', 'zh-CN'])),
          }),
          response: { 201: StaffMember, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await operations.invite(request.body, callerOf(request))),
    );

    app.patch(
      '/api/v1/staff/members/:id',
      {
        config: { access: ADMIN },
        schema: {
          tags: ['staff'],
          summary: 'Change a staff member’s role, or disable (signs them out) or re-enable them',
          params: Id,
          body: Type.Object(
            {
              role: Type.Optional(Type.Enum(['agent', 'reviewer', 'admin'])),
              disabled: Type.Optional(Type.Boolean()),
            },
            { minProperties: 1 },
          ),
          response: { 200: StaffMember, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => operations.updateStaff(request.params.id, request.body, callerOf(request)),
    );
  };
}
