import { AppError } from '../../core/errors.js';
import type { Executor } from '../../db/database.js';
import type { LinesTable } from '../../db/schema.js';

/** An active line past its validity is expired, whether or not a job has recorded it yet. */
export function effectiveStatus(
  line: Pick<LinesTable, 'status' | 'expires_at'>,
  now: Date,
): LinesTable['status'] {
  return line.status === 'active' && line.expires_at !== null && line.expires_at <= now.toISOString()
    ? 'expired'
    : line.status;
}

/** One of the subscriber's lines (404 LINE_NOT_FOUND for anyone else's). */
export async function ownLine(executor: Executor, accountId: string, lineId: string) {
  const line = await executor
    .selectFrom('lines')
    .selectAll()
    .where('id', '=', lineId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!line) throw new AppError('LINE_NOT_FOUND', { field: 'id' });
  return line;
}

/** One of the subscriber's lines that is active now (409 LINE_NOT_ACTIVE otherwise). */
export async function ownActiveLine(executor: Executor, accountId: string, lineId: string, now: Date) {
  const line = await ownLine(executor, accountId, lineId);
  const status = effectiveStatus(line, now);
  if (status !== 'active') throw new AppError('LINE_NOT_ACTIVE', { status });
  return line;
}

/** A device the subscriber has bound now (404 DEVICE_NOT_FOUND for unbound or anyone else's). */
export async function boundDevice(executor: Executor, accountId: string, deviceId: string) {
  const device = await executor
    .selectFrom('devices')
    .selectAll()
    .where('id', '=', deviceId)
    .where('account_id', '=', accountId)
    .where('unbound_at', 'is', null)
    .executeTakeFirst();
  if (!device) throw new AppError('DEVICE_NOT_FOUND', { field: 'id' });
  return device;
}
