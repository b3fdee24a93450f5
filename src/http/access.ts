/** Roles an account can hold. */
export type Role = 'subscriber' | 'agent' | 'reviewer' | 'admin';

/**
 * Who may call a route, declared once in the route's `config.access`:
 * `public` (anyone), `service` (a service key, e.g. mediation), or the roles allowed.
 */
export type Access = 'public' | 'service' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** A deregistered account may call this route (its status, request history, data export, sign-out). */
    allowDeregistered?: boolean;
  }
  interface FastifyRequest {
    /** The language answers are written in: the account's, else Accept-Language. */
    locale: import('../core/i18n.js').Locale;
  }
}
