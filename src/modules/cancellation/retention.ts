import fs from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import type { ErasureContributor } from '../../core/erasure.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { jobsErasure } from '../../runner/jobs.erasure.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import { exportsErasure } from '../exports/exports.erasure.js';
import { claimForErasure, identityErasure } from '../identity/identity.erasure.js';
import { linesErasure } from '../lines/lines.erasure.js';
import { notificationsErasure } from '../notifications/notifications.erasure.js';
import type { PolicyService } from '../policies/policies.service.js';
import { supportErasure } from '../support/support.erasure.js';
import { cancellationErasure } from './cancellation.erasure.js';
import { registerRetentionJob } from './cancellation.jobs.js';
import { deregisteredBefore } from './cancellation.store.js';

const DAY_MS = 86_400_000;
const SYSTEM: Actor = { type: 'system', id: 'retention' };

export { ERASED } from '../../core/erasure.js';

/** Every module's part of the erasure (test/erasure.test.ts: every table with personal columns is covered by its owner). */
export const ERASURE_CONTRIBUTORS: readonly ErasureContributor[] = [
  identityErasure,
  supportErasure,
  cancellationErasure,
  linesErasure,
  notificationsErasure,
  jobsErasure,
  exportsErasure,
];

/**
 * Retention: once a deregistered account has been closed for the policy's days, its personal data is
 * erased — email, phone, free text in tickets and cancellation requests, message copies, device names,
 * export archives — while ledger postings and usage records stay for their legal period, detached from
 * the person (they keep only the account id). The erasure is audited without the erased values.
 */
export function createRetention(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs: Pick<Jobs, 'registerRecurring'>;
  audit: Pick<AuditService, 'record'>;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock, audit } = deps;
  registerRetentionJob(deps.jobs, { eraseDue });

  /** Accounts deregistered before the retention period and not yet erased. */
  async function due(): Promise<string[]> {
    const { retentionDays } = await deps.policies.get();
    const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS).toISOString();
    return deregisteredBefore(db, cutoff);
  }

  async function erase(accountId: string): Promise<void> {
    const files = await db.transaction().execute(async (tx) => {
      const addresses = await claimForErasure(tx, accountId, clock.now().toISOString());
      if (addresses === null) return [];
      const subject = { accountId, addresses };
      const files: string[] = [];
      // Each owner scrubs its own tables, in this one transaction.
      for (const contributor of ERASURE_CONTRIBUTORS)
        files.push(...((await contributor.erase(tx, subject)) ?? []));
      await audit.record(tx, {
        actor: SYSTEM,
        action: 'account.erased',
        subject: { type: 'account', id: accountId },
        accountId,
        // What was erased, never the values themselves.
        after: { erased: ERASURE_CONTRIBUTORS.map((c) => c.label) },
      });
      return files;
    });
    // Archives go after the commit: a file left by a crash here is unreachable (its row no longer names it).
    for (const file of files) await fs.rm(file, { force: true });
  }

  async function eraseDue(): Promise<number> {
    const accounts = await due();
    for (const id of accounts) await erase(id);
    if (accounts.length) deps.logger.info({ count: accounts.length }, 'personal data erased after retention');
    return accounts.length;
  }

  return { due, erase, eraseDue };
}

export type Retention = ReturnType<typeof createRetention>;
