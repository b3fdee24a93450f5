import { AppError } from '../../core/errors.js';
import type { Executor } from '../../db/database.js';
import type { UsageType } from '../../db/schema.js';

/** Where a page of the usage list ends: the list runs newest first by start time, then id. */
export interface UsagePosition {
  startedAt: string;
  id: string;
}

const POSITION = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (usg_[0-9A-Z]{26})$/;

export function encodeUsageCursor(position: UsagePosition): string {
  return Buffer.from(`${position.startedAt} ${position.id}`, 'utf8').toString('base64url');
}

export function decodeUsageCursor(cursor: string | undefined): UsagePosition | undefined {
  if (cursor === undefined) return undefined;
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new AppError(
      'VALIDATION_FAILED',
      { field: 'cursor', in: 'querystring' },
      { reason: 'cursor is not valid' },
    );
  return { startedAt: match[1]!, id: match[2]! };
}

export interface UsageListFilter {
  type?: UsageType;
  /** Records that started at or after this instant. */
  from?: string;
  /** Records that started before this instant. */
  to?: string;
  after?: UsagePosition;
  limit: number;
}

/**
 * One page of a subscriber's usage records, newest first. Every bound is on started_at, the partition
 * key on PostgreSQL, so the query reads only the months it can find rows in: `from` (at the latest the
 * first month retention keeps) and `to` or the previous page's end.
 */
export function usageListQuery(executor: Executor, accountId: string, filter: UsageListFilter) {
  let query = executor
    .selectFrom('usage_records')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.from) query = query.where('started_at', '>=', filter.from);
  if (filter.to) query = query.where('started_at', '<', filter.to);
  const after = filter.after;
  if (after)
    query = query
      .where('started_at', '<=', after.startedAt)
      .where((eb) => eb.or([eb('started_at', '<', after.startedAt), eb('id', '<', after.id)]));
  return query;
}
