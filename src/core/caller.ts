import type { Executor } from '../db/database.js';
import type { Actor } from '../modules/audit/audit.service.js';
import type { Locale } from './i18n.js';

/**
 * Who asks a service for something, and for which request: what the service records (the audit
 * entry's actor and request id) and how it answers (the subscriber's language, the idempotency record).
 */
export interface Caller {
  actor: Actor;
  /** The HTTP request's id, for the audit trail. */
  requestId?: string;
  /** The language the answer is worded in (the request's). */
  locale?: Locale;
  /**
   * Records the answer under the request's idempotency key, in the transaction that did the work
   * (see Idempotency.respond); absent when nothing repeats the call (jobs, scripts, tests).
   */
  idempotency?: (executor: Executor, body: unknown) => Promise<void>;
}
