import fs from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { PolicyService } from '../policies/policies.service.js';

const DAY_MS = 86_400_000;
const SYSTEM: Actor = { type: 'system', id: 'retention' };
export const ERASED = '[erased]';

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
  jobs: Jobs;
  audit: AuditService;
  policies: PolicyService;
}) {
  const { db, clock, audit } = deps;
  deps.jobs.registerRecurring({
    kind: 'retention.erase',
    everyMs: DAY_MS,
    handle: async () => {
      await eraseDue();
    },
  });

  /** Accounts deregistered before the retention period and not yet erased. */
  async function due(): Promise<string[]> {
    const { retentionDays } = await deps.policies.get();
    const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS).toISOString();
    const rows = await db
      .selectFrom('accounts')
      .innerJoin('cancellation_requests', 'cancellation_requests.account_id', 'accounts.id')
      .select('accounts.id')
      .where('accounts.status', '=', 'deregistered')
      .where('accounts.erased_at', 'is', null)
      .where('cancellation_requests.status', '=', 'completed')
      .where('cancellation_requests.updated_at', '<', cutoff)
      .distinct()
      .execute();
    return rows.map((r) => r.id);
  }

  async function erase(accountId: string): Promise<void> {
    const files = await db.transaction().execute(async (tx) => {
      const now = clock.now().toISOString();
      // Claiming the row with the update itself: two runners erasing at once cannot both go on.
      const account = await tx
        .updateTable('accounts')
        .set({ erased_at: now, updated_at: now })
        .where('id', '=', accountId)
        .where('erased_at', 'is', null)
        .returning(['email', 'phone'])
        .executeTakeFirst();
      if (!account) return [];
      const addresses = [account.email, account.phone].filter((a): a is string => a !== null);
      await tx
        .updateTable('accounts')
        .set({ email: null, phone: null })
        .where('id', '=', accountId)
        .execute();
      const tickets = tx.selectFrom('tickets').select('id').where('account_id', '=', accountId);
      await tx
        .updateTable('ticket_messages')
        .set({ body: ERASED })
        .where('ticket_id', 'in', tickets)
        .execute();
      await tx.updateTable('tickets').set({ subject: ERASED }).where('account_id', '=', accountId).execute();
      await tx
        .updateTable('cancellation_requests')
        .set({ reason: null })
        .where('account_id', '=', accountId)
        .execute();
      const requests = tx
        .selectFrom('cancellation_requests')
        .select('id')
        .where('account_id', '=', accountId);
      await tx
        .updateTable('cancellation_events')
        .set({ note: null })
        .where('request_id', 'in', requests)
        .execute();
      await tx.updateTable('devices').set({ name: ERASED }).where('account_id', '=', accountId).execute();
      await tx
        .updateTable('messages')
        .set({ to: ERASED, subject: null, text: ERASED, html: null })
        .where('account_id', '=', accountId)
        .execute();
      // Notices not yet turned into messages (a fan-out that never succeeded) carry addresses too.
      await tx
        .updateTable('jobs')
        .set({ payload: JSON.stringify({ notices: [] }) })
        // Through jobs_due (status first): unfinished jobs are few, finished ones many.
        .where('status', 'in', ['queued', 'running', 'dead', 'cancelled'])
        .where('kind', '=', 'notifications.fanout')
        .where('payload', 'like', `%"id":"${accountId}"%`)
        .execute();
      if (addresses.length) {
        await tx
          .updateTable('dev_mailbox')
          .set({ to: ERASED, subject: null, text: ERASED, html: null })
          .where('to', 'in', addresses)
          .execute();
        await tx.deleteFrom('otp_challenges').where('target', 'in', addresses).execute();
      }
      const exports = await tx
        .selectFrom('exports')
        .select('file')
        .where('account_id', '=', accountId)
        .where('file', 'is not', null)
        .execute();
      await tx
        .updateTable('exports')
        .set({ status: 'failed', file: null, error: 'erased after the retention period' })
        .where('account_id', '=', accountId)
        .execute();
      await audit.record(tx, {
        actor: SYSTEM,
        action: 'account.erased',
        subject: { type: 'account', id: accountId },
        accountId,
        // What was erased, never the values themselves.
        after: {
          erased: ['email', 'phone', 'tickets', 'cancellation notes', 'messages', 'devices', 'exports'],
        },
      });
      return exports.map((e) => e.file as string);
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
