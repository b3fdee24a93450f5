import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { AppError } from '../../core/errors.js';
import { isLocale, LOCALES } from '../../core/i18n.js';
import { callerOf } from '../../http/caller.js';
import { clientGroupOf } from '../../http/client-group.js';
import { ANY_ACCOUNT, SUBSCRIBER } from '../../http/roles.js';
import { errorResponses } from '../../http/schemas.js';
import { CSRF_COOKIE, principalOf, SESSION_COOKIE } from './identity.guard.js';
import { presentAccount, SESSION_MAX_DAYS } from './identity.service.js';

export const Account = Type.Object(
  {
    id: Type.String(),
    status: Type.Union(
      ['active', 'suspended', 'cancellation_pending', 'deregistered'].map((s) => Type.Literal(s)),
    ),
    email: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    locale: Type.String(),
    role: Type.Enum(['subscriber', 'agent', 'reviewer', 'admin']),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Account', title: 'Account' },
);

const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
/** Where a one-time code goes: to sign in, or to confirm a new contact address. */
const CodeRequest = Type.Object({ channel: Channel, to: Type.String({ minLength: 1, maxLength: 320 }) });
const CodeSent = Type.Object({ challengeId: Type.String(), expiresAt: Type.String({ format: 'date-time' }) });
/** The code a person received, with the challenge it answers. */
const CodeAnswer = {
  challengeId: Type.String({ minLength: 1, maxLength: 64 }),
  code: Type.String({ pattern: '^[0-9]{6}$' }),
};

function checkLocale(locale: string | undefined, field: string) {
  if (locale !== undefined && !isLocale(locale)) {
    throw new AppError('UNSUPPORTED_LOCALE', { field, supported: LOCALES });
  }
  return locale;
}

export function identityRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { identity, config } = ctx;
  const cookieOptions = { path: '/', sameSite: 'lax', secure: config.mode === 'production' } as const;

  function setSessionCookies(reply: FastifyReply, token: string, csrf: string) {
    const maxAge = SESSION_MAX_DAYS * 24 * 60 * 60;
    reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, httpOnly: true, maxAge });
    reply.setCookie(CSRF_COOKIE, csrf, { ...cookieOptions, httpOnly: false, maxAge });
  }

  return async (app) => {
    app.post(
      '/api/v1/auth/codes',
      {
        config: { access: 'public' },
        schema: {
          tags: ['sign-in'],
          summary: 'Send a one-time sign-in code by email or SMS',
          description: 'The answer is the same whether or not an account exists for the address.',
          body: CodeRequest,
          response: {
            202: CodeSent,
            ...errorResponses(400, 429),
          },
        },
      },
      async (request, reply) => {
        const result = await identity.requestCode({
          ...request.body,
          // Counted per client: an IPv6 client by its /64 (the address recorded with the code too).
          ip: clientGroupOf(request.ip),
          locale: request.locale,
        });
        return reply.status(202).send(result);
      },
    );

    app.post(
      '/api/v1/auth/sessions',
      {
        config: { access: 'public' },
        schema: {
          tags: ['sign-in'],
          summary: 'Exchange a one-time code for a session; the first sign-in creates the subscriber',
          body: Type.Object({
            ...CodeAnswer,
            locale: Type.Optional(Type.String({ maxLength: 20 })),
          }),
          response: {
            201: Type.Object({ token: Type.String(), account: Type.Ref('Account') }),
            ...errorResponses(400, 401, 403, 404, 429),
          },
        },
      },
      async (request, reply) => {
        const locale = checkLocale(request.body.locale, 'locale') ?? request.locale;
        const session = await identity.signIn({
          challengeId: request.body.challengeId,
          code: request.body.code,
          locale: isLocale(locale) ? locale : request.locale,
          userAgent: request.headers['user-agent'] ?? null,
          requestId: request.id,
        });
        setSessionCookies(reply, session.token, session.csrf);
        return reply.status(201).send({ token: session.token, account: session.account });
      },
    );

    app.delete(
      '/api/v1/auth/session',
      {
        config: { access: ANY_ACCOUNT, allowDeregistered: true },
        schema: {
          tags: ['sign-in'],
          summary: 'Sign out (revoke this session)',
          response: { 204: Type.Null(), ...errorResponses(401, 403) },
        },
      },
      async (request, reply) => {
        await identity.signOut(principalOf(request), callerOf(request));
        reply.clearCookie(SESSION_COOKIE, cookieOptions).clearCookie(CSRF_COOKIE, cookieOptions);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/me',
      {
        config: { access: ANY_ACCOUNT, allowDeregistered: true },
        schema: {
          tags: ['account'],
          summary: 'The signed-in account',
          response: { 200: Type.Ref('Account'), ...errorResponses(401) },
        },
      },
      async (request) => {
        return presentAccount(await identity.getAccount(principalOf(request).accountId));
      },
    );

    app.patch(
      '/api/v1/me',
      {
        config: { access: ANY_ACCOUNT, allowDeregistered: true },
        schema: {
          tags: ['account'],
          summary: 'Change the account language',
          body: Type.Object({ locale: Type.String({ maxLength: 20 }) }),
          response: { 200: Type.Ref('Account'), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const locale = checkLocale(request.body.locale, 'locale');
        return identity.updateLocale(principalOf(request).accountId, locale as never, callerOf(request));
      },
    );

    app.post(
      '/api/v1/me/contact/codes',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['account'],
          summary: 'Add a phone to an email account (or an email to a phone account): send a code to it',
          body: CodeRequest,
          response: {
            202: CodeSent,
            ...errorResponses(400, 401, 403, 409, 429),
          },
        },
      },
      async (request, reply) =>
        reply.status(202).send(
          await identity.requestContactCode(principalOf(request), {
            ...request.body,
            ip: clientGroupOf(request.ip),
          }),
        ),
    );

    app.post(
      '/api/v1/me/contact',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['account'],
          summary: 'Confirm the code sent to the new address; notices then go to both',
          body: Type.Object(CodeAnswer),
          response: { 200: Type.Ref('Account'), ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request) =>
        identity.confirmContact(principalOf(request).accountId, request.body, callerOf(request)),
    );
  };
}
