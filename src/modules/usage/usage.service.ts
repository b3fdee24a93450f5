import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Db, Dialect } from '../../db/database.js';
import type { UsageType } from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import { type Ledger, ledgerAccountId } from '../wallet/ledger.js';
import { createUsageCharges } from './usage.charges.js';
import { createUsageHolds } from './usage.holds.js';
import { createUsageIngest } from './usage.ingest.js';
import { registerUsageJobs } from './usage.jobs.js';
import { createUsagePartitions, firstMonthKept, monthStart } from './usage.partitions.js';
import { presentUsageRecord } from './usage.present.js';
import { createUsageRerate } from './usage.rerate.js';
import {
  decodeUsageCursor,
  encodeUsageCursor,
  insertServiceKey,
  revokeServiceKeysNamed,
  serviceKeyByHash,
  usagePage,
} from './usage.store.js';

export type { IngestResult } from './usage.ingest.js';
export { maskNumber } from './usage.present.js';
export { MAX_BATCH, MAX_DURATION_SECONDS } from './usage.validation.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Usage from mediation: ingest and rating (usage.ingest.ts), rerating (usage.rerate.ts), held
 * records (usage.holds.ts), the subscriber's list, service keys, and the monthly partitions.
 */
export function createUsageService(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  currency: string;
  ledger: Pick<Ledger, 'ensureAccount' | 'post' | 'balance'>;
  catalog: Pick<CatalogService, 'get'>;
  audit: Pick<AuditService, 'record'>;
  policies: Pick<PolicyService, 'get'>;
  jobs: Pick<Jobs, 'registerRecurring'>;
  logger: Logger;
  /** Heavy reads that may lag a little (the usage list): on a read replica when there is one. */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, clock, ledger } = deps;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));
  const partitions = createUsagePartitions(deps);
  registerUsageJobs(deps, partitions);
  const charges = createUsageCharges(deps);
  const { ingest } = createUsageIngest({ ...deps, charges });
  const { rerate } = createUsageRerate({ ...deps, charges });
  const { holds, decideHold } = createUsageHolds({ ...deps, charges });

  async function addServiceKey(name: string) {
    const key = `esk_${randomBytes(32).toString('base64url')}`;
    const id = newId('key', clock.now().getTime());
    await insertServiceKey(db, { id, name, key_hash: sha256(key), created_at: clock.now().toISOString() });
    return { id, name, key };
  }

  async function revokeServiceKeys(name: string): Promise<number> {
    return revokeServiceKeysNamed(db, name, clock.now().toISOString());
  }

  async function verifyServiceKey(token: string): Promise<boolean> {
    if (!token.startsWith('esk_') || token.length > 100) return false;
    const row = await serviceKeyByHash(db, sha256(token));
    return row !== undefined && row.revoked_at === null;
  }

  /** What a subscriber owes beyond the wallet (arrears), in minor units. */
  async function arrears(accountId: string): Promise<number> {
    const balance = await ledger.balance(db, ledgerAccountId('arrears', deps.currency, accountId));
    return balance === 0 ? 0 : -balance;
  }

  /**
   * A subscriber's records, newest first (by when they started), within the retention period; read
   * on a replica when there is one (a record that arrived a moment ago may not be listed yet).
   */
  async function list(
    accountId: string,
    filter: { type?: UsageType; from?: string; to?: string; cursor?: string; limit: number },
  ) {
    const { usageRetentionMonths } = await deps.policies.get();
    const earliest = monthStart(firstMonthKept(clock.now(), usageRetentionMonths));
    const rows = await reading((on) =>
      usagePage(on, accountId, {
        type: filter.type,
        from: filter.from && filter.from > earliest ? filter.from : earliest,
        to: filter.to,
        after: decodeUsageCursor(filter.cursor),
        limit: filter.limit,
      }),
    );
    const items = rows.slice(0, filter.limit);
    const last = items.at(-1);
    return {
      nextCursor:
        rows.length > filter.limit && last
          ? encodeUsageCursor({ startedAt: last.started_at, id: last.id })
          : null,
      items: items.map((r) => presentUsageRecord(r, deps.currency)),
    };
  }

  return {
    addServiceKey,
    revokeServiceKeys,
    verifyServiceKey,
    ingest,
    list,
    arrears,
    rerate,
    holds,
    decideHold,
    partitions: partitions.partitions,
    ensurePartitions: partitions.ensurePartitions,
    applyRetention: partitions.applyRetention,
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
