import { AppError } from '../../../core/errors.js';
import type { Executor } from '../../../db/database.js';
import type { DevicesTable } from '../../../db/schema.js';

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

/** The account's bound devices with the ICCID of their profile, in the order they were bound. */
export async function boundDevicesOfAccount(executor: Executor, accountId: string) {
  return executor
    .selectFrom('devices')
    .innerJoin('esims', 'esims.id', 'devices.esim_id')
    .selectAll('devices')
    .select('esims.iccid')
    .where('devices.account_id', '=', accountId)
    .where('devices.unbound_at', 'is', null)
    .orderBy('devices.bound_at')
    .execute();
}

/** The device the profile is bound to now, if any. */
export async function boundDeviceOfEsim(executor: Executor, esimId: string) {
  return executor
    .selectFrom('devices')
    .selectAll()
    .where('esim_id', '=', esimId)
    .where('unbound_at', 'is', null)
    .executeTakeFirst();
}

/** A newly bound device (unbound_at starts empty). */
export async function insertDevice(executor: Executor, device: Omit<DevicesTable, 'unbound_at'>) {
  await executor.insertInto('devices').values(device).execute();
}

export async function unbindDevice(executor: Executor, deviceId: string, at: string): Promise<void> {
  await executor.updateTable('devices').set({ unbound_at: at }).where('id', '=', deviceId).execute();
}

/** Every device of the account still bound is unbound. */
export async function unbindDevicesOfAccount(executor: Executor, accountId: string, at: string) {
  await executor
    .updateTable('devices')
    .set({ unbound_at: at })
    .where('account_id', '=', accountId)
    .where('unbound_at', 'is', null)
    .execute();
}

export async function renameDevice(executor: Executor, deviceId: string, name: string): Promise<void> {
  await executor.updateTable('devices').set({ name }).where('id', '=', deviceId).execute();
}

/** Every device the account ever had gets this name (erasure). */
export async function renameDevicesOfAccount(executor: Executor, accountId: string, name: string) {
  await executor.updateTable('devices').set({ name }).where('account_id', '=', accountId).execute();
}
