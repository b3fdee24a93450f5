import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.js';
import { clientGroupOf } from './client-group.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` exempts the route (health checks, webhooks and mediation, which have their own guards). */
    rateLimit?: false;
  }
}

interface Window {
  count: number;
  resetAt: number;
}

/** More addresses than this in one window and the oldest windows are forgotten (bounded memory). */
const MAX_TRACKED = 50_000;

/**
 * At most `max` requests per client (address; an IPv6 client by its /64, see clientGroupOf) per fixed window, answered 429 RATE_LIMITED with
 * Retry-After beyond it; every limited answer carries X-RateLimit-Limit, -Remaining and -Reset.
 * It runs before authentication, so a flood of guessed tokens is refused before any database work.
 * A synchronous hook over a Map: the limiter sits on every request, so it must cost next to nothing.
 */
export function registerRateLimit(app: FastifyInstance, options: { max: number; windowMs: number }): void {
  const { max, windowMs } = options;
  const windows = new Map<string, Window>();
  const limit = String(max);

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [address, window] of windows) if (window.resetAt <= now) windows.delete(address);
  }, windowMs);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.rateLimit === false) return done();
    const now = Date.now();
    const client = clientGroupOf(request.ip);
    let window = windows.get(client);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      windows.delete(client);
      windows.set(client, window);
      if (windows.size > MAX_TRACKED) windows.delete(windows.keys().next().value as string);
    }
    window.count += 1;
    const resetSeconds = Math.ceil((window.resetAt - now) / 1000);
    reply.header('x-ratelimit-limit', limit);
    reply.header('x-ratelimit-remaining', String(Math.max(0, max - window.count)));
    reply.header('x-ratelimit-reset', String(resetSeconds));
    if (window.count <= max) return done();
    done(new AppError('RATE_LIMITED', { retryAfterSeconds: resetSeconds }, { retryAfter: resetSeconds }));
  });
}
