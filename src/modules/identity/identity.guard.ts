import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { isLocale } from '../../core/i18n.js';
import type { IdentityService, Principal } from './identity.service.js';

export const SESSION_COOKIE = 'esimdesk_session';
export const CSRF_COOKIE = 'esimdesk_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * Enforces each route's `config.access` in one place: resolves the caller from a bearer token or
 * the session cookie, answers 401/403 before the handler runs, and checks CSRF for cookie writes.
 */
export function registerGuard(
  app: FastifyInstance,
  deps: { identity: IdentityService; service?: (request: FastifyRequest) => Promise<boolean> },
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === undefined) return;
    const bearer = bearerToken(request);
    const cookie = bearer === null ? request.cookies[SESSION_COOKIE] : undefined;
    const token = bearer ?? cookie;
    if (access === 'service') {
      if (!deps.service || !(await deps.service(request)))
        throw new AppError('UNAUTHENTICATED', { reason: 'service key required' });
      return;
    }
    const principal = token ? await deps.identity.authenticate(token) : null;
    if (principal) {
      request.principal = principal;
      if (isLocale(principal.locale)) request.locale = principal.locale;
    }
    if (access === 'public') return;
    if (!principal) throw new AppError('UNAUTHENTICATED');
    if (!access.includes(principal.role)) throw new AppError('FORBIDDEN', { role: principal.role });
    // A suspended staff member may see their own account and sign out, nothing only staff may do.
    if (principal.role !== 'subscriber' && principal.status === 'suspended' && !access.includes('subscriber'))
      throw new AppError('STAFF_SUSPENDED');
    if (principal.status === 'deregistered' && !request.routeOptions.config.allowDeregistered) {
      throw new AppError('ACCOUNT_DEREGISTERED');
    }
    if (cookie !== undefined && UNSAFE.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || sent !== deps.identity.csrfToken(principal.sessionId)) {
        throw new AppError('CSRF_FAILED', { header: 'X-CSRF-Token' });
      }
    }
  });
}

/** The caller of a route whose access excludes anonymous callers. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED');
  return request.principal;
}
