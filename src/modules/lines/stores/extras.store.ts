import type { Executor } from '../../../db/database.js';
import type {
  AddonsTable,
  LineAddonsTable,
  LinesTable,
  NetworkPreferencesTable,
} from '../../../db/schema.js';

/** The partner network the line prefers in the country, if one was chosen. */
export async function preferredNetwork(executor: Executor, lineId: string, country: string) {
  const preference = await executor
    .selectFrom('network_preferences')
    .select('plmn')
    .where('line_id', '=', lineId)
    .where('country', '=', country)
    .executeTakeFirst();
  return preference?.plmn ?? null;
}

export async function savePreferredNetwork(executor: Executor, preference: NetworkPreferencesTable) {
  const { plmn, updated_at } = preference;
  await executor
    .insertInto('network_preferences')
    .values(preference)
    .onConflict((oc) => oc.columns(['line_id', 'country']).doUpdateSet({ plmn, updated_at }))
    .execute();
}

/** The add-ons on sale, cheapest first. */
export async function activeAddons(executor: Executor) {
  return executor.selectFrom('addons').selectAll().where('status', '=', 'active').orderBy('price').execute();
}

export async function activeAddon(executor: Executor, addonId: string) {
  return executor
    .selectFrom('addons')
    .selectAll()
    .where('id', '=', addonId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

export async function addonById(executor: Executor, addonId: string) {
  return executor.selectFrom('addons').selectAll().where('id', '=', addonId).executeTakeFirst();
}

export async function addonIdByCode(executor: Executor, code: string) {
  return (await executor.selectFrom('addons').select('id').where('code', '=', code).executeTakeFirst())?.id;
}

export async function anyAddon(executor: Executor): Promise<boolean> {
  return (await executor.selectFrom('addons').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function insertAddon(executor: Executor, addon: AddonsTable): Promise<void> {
  await executor.insertInto('addons').values(addon).execute();
}

export async function updateAddon(
  executor: Executor,
  addonId: string,
  columns: Pick<AddonsTable, 'code' | 'names' | 'data_mb' | 'voice_minutes' | 'sms' | 'price'>,
): Promise<void> {
  await executor.updateTable('addons').set(columns).where('id', '=', addonId).execute();
}

export async function retireAddon(executor: Executor, addonId: string): Promise<void> {
  await executor.updateTable('addons').set({ status: 'retired' }).where('id', '=', addonId).execute();
}

export async function insertLineAddon(executor: Executor, purchase: LineAddonsTable): Promise<void> {
  await executor.insertInto('line_addons').values(purchase).execute();
}

/**
 * What the add-ons bought in the line's current allowance period add to its plan's allowances: a
 * plan change restarts the allowances, so only add-ons bought since the (re)activation count.
 */
export async function addonAllowances(executor: Executor, line: LinesTable) {
  const extra = await executor
    .selectFrom('line_addons')
    .innerJoin('addons', 'addons.id', 'line_addons.addon_id')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('addons.data_mb'), eb.lit(0)).as('dataMb'),
      eb.fn.coalesce(eb.fn.sum<number>('addons.voice_minutes'), eb.lit(0)).as('voiceMinutes'),
      eb.fn.coalesce(eb.fn.sum<number>('addons.sms'), eb.lit(0)).as('sms'),
    ])
    .where('line_addons.line_id', '=', line.id)
    .where('line_addons.created_at', '>=', line.activated_at ?? line.created_at)
    .executeTakeFirstOrThrow();
  return { dataMb: Number(extra.dataMb), voiceMinutes: Number(extra.voiceMinutes), sms: Number(extra.sms) };
}
