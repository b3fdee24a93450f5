import type { Executor } from '../../../db/database.js';

// What the customer search and the customer 360 read of other modules' tables (accounts: identity;
// devices, esims, lines: lines; usage_records: usage; messages: notifications). Their owners write them.

export async function accountIdsWithEmail(executor: Executor, email: string): Promise<string[]> {
  const rows = await executor.selectFrom('accounts').select('id').where('email', '=', email).execute();
  return rows.map((r) => r.id);
}

export async function accountIdsWithPhone(executor: Executor, phone: string): Promise<string[]> {
  const rows = await executor.selectFrom('accounts').select('id').where('phone', '=', phone).execute();
  return rows.map((r) => r.id);
}

/** The accounts of the devices with this EID. */
export async function accountIdsWithEid(executor: Executor, eid: string): Promise<string[]> {
  const rows = await executor.selectFrom('devices').select('account_id').where('eid', '=', eid).execute();
  return rows.map((r) => r.account_id);
}

/** The accounts of the eSIM profiles with this ICCID. */
export async function accountIdsWithIccid(executor: Executor, iccid: string): Promise<string[]> {
  const rows = await executor.selectFrom('esims').select('account_id').where('iccid', '=', iccid).execute();
  return rows.map((r) => r.account_id);
}

/** The accounts of the lines with this number (MSISDN). */
export async function accountIdsWithMsisdn(executor: Executor, msisdn: string): Promise<string[]> {
  const rows = await executor.selectFrom('lines').select('account_id').where('msisdn', '=', msisdn).execute();
  return rows.map((r) => r.account_id);
}

/** The subscribers (not staff) among these accounts, newest first. */
export function subscribersByIds(executor: Executor, ids: string[]) {
  return executor
    .selectFrom('accounts')
    .selectAll()
    .where('id', 'in', ids)
    .where('role', '=', 'subscriber')
    .orderBy('id', 'desc')
    .execute();
}

export function findSubscriber(executor: Executor, accountId: string) {
  return executor
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', accountId)
    .where('role', '=', 'subscriber')
    .executeTakeFirst();
}

/** Records, bytes, seconds and charges of an account's usage since `since`, per type. */
export function usageTotalsSince(executor: Executor, accountId: string, since: string) {
  return executor
    .selectFrom('usage_records')
    .select([
      'type',
      (eb) => eb.fn.countAll<number>().as('records'),
      (eb) => eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('bytes'),
      (eb) => eb.fn.coalesce(eb.fn.sum<number>('duration_seconds'), eb.lit(0)).as('seconds'),
      (eb) => eb.fn.coalesce(eb.fn.sum<number>('charge'), eb.lit(0)).as('charged'),
    ])
    .where('account_id', '=', accountId)
    .where('started_at', '>=', since)
    .groupBy('type')
    .execute();
}

/** The account's latest notifications (without their text). */
export function recentMessages(executor: Executor, accountId: string, limit: number) {
  return executor
    .selectFrom('messages')
    .select(['id', 'channel', 'to', 'template', 'subject', 'status', 'created_at'])
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export function messageOfAccount(executor: Executor, accountId: string, messageId: string) {
  return executor
    .selectFrom('messages')
    .selectAll()
    .where('id', '=', messageId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}
