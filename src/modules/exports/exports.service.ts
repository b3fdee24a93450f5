import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { isLocale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import type { Database, Db, Dialect } from '../../db/database.js';
import type { Jobs } from '../../runner/jobs.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { SupportService } from '../support/support.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { type ArchiveInput, buildArchive } from './archive.js';
import { registerExportJobs } from './exports.jobs.js';
import {
  findExport,
  findExportOfAccount,
  getAccount,
  getExport,
  insertPendingExport,
  latestExportIds,
  lockExportsOfAccount,
  markExportFailed,
  markExportReady,
  pendingOrRecentExports,
} from './exports.store.js';

const LINK_HOURS = 24;
const DAY_MS = 86_400_000;
/**
 * How long an export waits for a replica to replay what was written before it started; one that
 * takes longer is behind, and the export reads on the primary instead.
 */
const REPLICA_WAIT_MS = 3000;

/**
 * "Back up my data" (R11): a ZIP of the subscriber's profile, statement, call/SMS/data records,
 * devices and tickets, built by the runner and streamed to disk; downloaded through a signed link
 * that expires. Available to deregistered accounts too.
 */
export function createExportService(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  config: Pick<Config, 'secret' | 'exportDir' | 'brandName' | 'database'>;
  /** The primary's WAL position: the archive reads on a replica only once it has replayed that far. */
  writePosition: Database['writePosition'];
  jobs: Jobs;
  audit: AuditService;
  notifications: NotificationService;
  wallet: WalletService;
  support: SupportService;
  policies: Pick<PolicyService, 'get'>;
}) {
  const { db, clock, config } = deps;

  const { buildJob } = registerExportJobs(deps.jobs, { build });

  const sign = (id: string, expires: number) =>
    createHmac('sha256', config.secret).update(`export:${id}:${expires}`).digest('hex');

  /**
   * Asks for an archive. One at a time per subscriber (409 EXPORT_IN_PROGRESS while one is pending),
   * and at most the policy's number per 24 hours (429 EXPORT_LIMIT_REACHED): each is a full read of
   * the account's history and a file on disk.
   */
  async function request(accountId: string, actor: Actor, requestId: string) {
    const id = newId('exp', clock.now().getTime());
    const { exportsPerDay } = await deps.policies.get();
    await db.transaction().execute(async (tx) => {
      await lockExportsOfAccount(tx, deps.dialect, accountId);
      const since = new Date(clock.now().getTime() - DAY_MS).toISOString();
      const recent = await pendingOrRecentExports(tx, accountId, since);
      const running = recent.find((r) => r.status === 'pending');
      if (running) throw new AppError('EXPORT_IN_PROGRESS', { id: running.id });
      const counted = recent.filter((r) => r.created_at > since);
      if (counted.length >= exportsPerDay) {
        const retryAt = new Date(
          new Date(counted[counted.length - exportsPerDay]!.created_at).getTime() + DAY_MS,
        ).toISOString();
        throw new AppError(
          'EXPORT_LIMIT_REACHED',
          { limit: 'exportsPerDay', max: exportsPerDay, retryAt },
          {
            max: exportsPerDay,
            retryAt: retryAt.slice(0, 16).replace('T', ' '),
            retryAfter: Math.max(1, Math.ceil((Date.parse(retryAt) - clock.now().getTime()) / 1000)),
          },
        );
      }
      await insertPendingExport(tx, { id, account_id: accountId, created_at: clock.now().toISOString() });
      await deps.jobs.enqueue(tx, buildJob, { exportId: id }, { idempotencyKey: `export:${id}` });
      await deps.audit.record(tx, {
        actor,
        action: 'export.requested',
        subject: { type: 'export', id },
        accountId,
        requestId,
      });
    });
    return { id, status: 'pending' as const };
  }

  async function status(accountId: string, exportId: string) {
    const row = await findExportOfAccount(db, accountId, exportId);
    if (!row) throw new AppError('NOT_FOUND', { field: 'id' });
    if (row.status !== 'ready') return { id: row.id, status: row.status, createdAt: row.created_at };
    const expires = Math.floor(clock.now().getTime() / 1000) + LINK_HOURS * 3600;
    return {
      id: row.id,
      status: row.status,
      createdAt: row.created_at,
      size: Number(row.size),
      downloadUrl: `/api/v1/exports/${row.id}/download?expires=${expires}&signature=${sign(row.id, expires)}`,
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /** The subscriber's exports, newest first (the last 20), each with its fresh link when ready. */
  async function list(accountId: string) {
    const rows = await latestExportIds(db, accountId, 20);
    return { items: await Promise.all(rows.map((r) => status(accountId, r.id))), nextCursor: null };
  }

  /** The archive file for a signed, unexpired link (no session needed: the signature is the permission). */
  async function file(exportId: string, expires: number, signature: string) {
    const expected = Buffer.from(sign(exportId, expires), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new AppError('FORBIDDEN', { reason: 'bad signature' });
    if (expires * 1000 < clock.now().getTime()) throw new AppError('FORBIDDEN', { reason: 'link expired' });
    const row = await findExport(db, exportId);
    if (row?.status !== 'ready' || !row.file || !fs.existsSync(row.file)) throw new AppError('NOT_FOUND');
    return { path: row.file, name: `export-${row.created_at.slice(0, 10)}-${row.id}.zip` };
  }

  async function build(exportId: string, lastAttempt: boolean) {
    // Taken first: everything the subscriber did before asking (and the request itself) lies before it.
    const position = await deps.writePosition();
    const row = await getExport(db, exportId);
    if (row.status !== 'pending') return;
    const account = await getAccount(db, row.account_id);
    const locale = isLocale(account.locale) ? account.locale : 'en';
    fs.mkdirSync(config.exportDir, { recursive: true });
    const target = path.join(config.exportDir, `${exportId}.zip`);
    const partial = `${target}.partial`;
    try {
      const a = account;
      const input: ArchiveInput = {
        accountId: a.id,
        walletId: deps.wallet.walletId(a.id),
        locale,
        brandName: config.brandName,
        now: clock.now().toISOString(),
        profile: {
          id: a.id,
          email: a.email,
          phone: a.phone,
          locale: a.locale,
          status: a.status,
          role: a.role,
          createdAt: a.created_at,
          exportedAt: clock.now().toISOString(),
        },
        // The subscriber's own conversations, without staff's internal notes.
        tickets: await deps.support.ofAccount(db, a.id),
        file: partial,
      };
      await buildArchive(config.database, db, input, { position, waitMs: REPLICA_WAIT_MS });
      fs.renameSync(partial, target);
      const size = fs.statSync(target).size;
      await db.transaction().execute(async (tx) => {
        await markExportReady(tx, exportId, { file: target, size, at: clock.now().toISOString() });
        await deps.notifications.notify(tx, account, 'export_ready', { hours: LINK_HOURS }, ['email']);
      });
    } catch (error) {
      fs.rmSync(partial, { force: true });
      if (lastAttempt) {
        await markExportFailed(db, exportId, String(error).slice(0, 500));
        return;
      }
      throw error;
    }
  }

  return { request, status, list, file };
}

export type ExportService = ReturnType<typeof createExportService>;
