import type { Db, Executor } from '../../db/database.js';
import type { EmuProfilesTable } from '../../db/schema.js';

/** The emulator's profiles counted by state. */
export async function countProfilesByState(db: Db) {
  return db
    .selectFrom('emu_profiles')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
}

export async function profileByIccid(executor: Executor, iccid: string) {
  return executor.selectFrom('emu_profiles').selectAll().where('iccid', '=', iccid).executeTakeFirst();
}

export async function profileByMatchingId(executor: Executor, matchingId: string) {
  return executor
    .selectFrom('emu_profiles')
    .selectAll()
    .where('matching_id', '=', matchingId)
    .executeTakeFirst();
}

/** Whether a profile holds this matching ID already. */
export async function matchingIdInUse(executor: Executor, matchingId: string): Promise<boolean> {
  const clash = await executor
    .selectFrom('emu_profiles')
    .select('iccid')
    .where('matching_id', '=', matchingId)
    .executeTakeFirst();
  return clash !== undefined;
}

export async function updateProfile(
  executor: Executor,
  iccid: string,
  changes: Partial<EmuProfilesTable>,
  at: string,
): Promise<void> {
  await executor
    .updateTable('emu_profiles')
    .set({ ...changes, updated_at: at })
    .where('iccid', '=', iccid)
    .execute();
}

/** A new available profile; with `ifNew`, one that exists already is left as it is. */
export async function insertAvailableProfile(
  executor: Executor,
  iccid: string,
  profileType: string,
  at: string,
  options: { ifNew: boolean },
): Promise<void> {
  const insert = executor.insertInto('emu_profiles').values({
    iccid,
    profile_type: profileType,
    state: 'available',
    eid: null,
    matching_id: null,
    updated_at: at,
  });
  await (options.ifNew ? insert.onConflict((oc) => oc.column('iccid').doNothing()) : insert).execute();
}

/** Takes the profile only if it is available, in one conditional update; true when this call took it. */
export async function reserveIfAvailable(
  executor: Executor,
  iccid: string,
  reservation: { state: 'allocated' | 'linked'; eid: string | null },
  at: string,
): Promise<boolean> {
  const taken = await executor
    .updateTable('emu_profiles')
    .set({ ...reservation, updated_at: at })
    .where('iccid', '=', iccid)
    .where('state', '=', 'available')
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

/** The available profile of the type with the lowest ICCID. */
export async function firstAvailableOfType(executor: Executor, profileType: string) {
  const free = await executor
    .selectFrom('emu_profiles')
    .select('iccid')
    .where('profile_type', '=', profileType)
    .where('state', '=', 'available')
    .orderBy('iccid')
    .limit(1)
    .executeTakeFirst();
  return free?.iccid;
}

/** The highest ICCID of any profile in the range. */
export async function highestIccidWithPrefix(executor: Executor, prefix: string) {
  const highest = await executor
    .selectFrom('emu_profiles')
    .select('iccid')
    .where('iccid', 'like', `${prefix}%`)
    .orderBy('iccid', 'desc')
    .limit(1)
    .executeTakeFirst();
  return highest?.iccid;
}
