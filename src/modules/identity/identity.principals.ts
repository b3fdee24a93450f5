import type { IdentityChanges } from '../../db/identity-changes.js';
import type { AccountRole, AccountRow } from '../../db/schema.js';

export interface Principal {
  accountId: string;
  sessionId: string;
  role: AccountRole;
  status: AccountRow['status'];
  locale: string;
}

/**
 * Signed-in principals looked up in the last `ttlMs`, so a burst of requests on one session reads the
 * database once. Any change to accounts or sessions made by this process (IdentityChanges) empties
 * it, and nothing is cached until that change has had `ttlMs` to commit; a cached principal is never
 * used past its session's expiry, nor once the session is due for renewal (so use keeps it alive).
 * A change made by another process reaches this one within `ttlMs`. Principals are frozen: one
 * object serves many requests.
 */
export class PrincipalCache {
  readonly #entries = new Map<string, { principal: Principal; until: string; at: number; epoch: number }>();
  readonly #changes: IdentityChanges;
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(changes: IdentityChanges, ttlMs: number, max = 10_000) {
    this.#changes = changes;
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(tokenHash: string, nowIso: string): Principal | null {
    const entry = this.#entries.get(tokenHash);
    if (!entry) return null;
    if (
      entry.epoch !== this.#changes.epoch ||
      performance.now() - entry.at >= this.#ttlMs ||
      entry.until <= nowIso
    ) {
      this.#entries.delete(tokenHash);
      return null;
    }
    return entry.principal;
  }

  /** Taken before reading the database: what was read may be cached only if nothing changed since. */
  lookup(): number {
    return this.#changes.epoch;
  }

  /** Keeps a principal read at `epoch` for use until the app clock reaches `until`. */
  keep(epoch: number, tokenHash: string, principal: Principal, until: string): void {
    const at = performance.now();
    if (this.#ttlMs === 0 || epoch !== this.#changes.epoch || at - this.#changes.changedAt < this.#ttlMs)
      return;
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(tokenHash, { principal, until, at, epoch });
  }
}
