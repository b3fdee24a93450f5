import type { Executor } from '../../db/database.js';
import type { NetworkActionsTable } from '../../db/schema.js';

type Action = NetworkActionsTable['action'];

/** Whether `action` was already recorded for `subject` (an ICCID or MSISDN). */
export async function hasAction(executor: Executor, subject: string, action: Action): Promise<boolean> {
  const found = await executor
    .selectFrom('network_actions')
    .select('id')
    .where('subject', '=', subject)
    .where('action', '=', action)
    .executeTakeFirst();
  return found !== undefined;
}

/** Records one request made of the network. */
export async function recordAction(
  executor: Executor,
  row: { id: string; subject: string; action: Action; detail: string; created_at: string },
): Promise<void> {
  await executor.insertInto('network_actions').values(row).execute();
}
