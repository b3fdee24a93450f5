import type { FastifyRequest } from 'fastify';
import type { Caller } from '../core/caller.js';
import { actorOf } from '../modules/identity/identity.service.js';
import type { Complete } from './idempotency.js';

/**
 * The Caller a route hands its service: the signed-in principal's actor, the request's id and
 * language, and the idempotency record when the route is idempotent (Idempotency.respond's `complete`).
 */
export function callerOf(request: FastifyRequest, idempotency?: Complete): Caller {
  return { actor: actorOf(request.principal), requestId: request.id, locale: request.locale, idempotency };
}
