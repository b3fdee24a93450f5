import type { Executor } from '../../../db/database.js';
import type { EsimState, EsimsTable } from '../../../db/schema.js';
import { makeIccid } from '../../../telecom/iccid.js';

/**
 * The next ICCID of the operator's range after the highest any eSIM holds (null when the range is
 * used up). Two runners may pick the same one: esims.iccid is unique, so the second to record it
 * fails (isUniqueViolation) and picks again.
 */
export async function nextIccid(
  executor: Executor,
  range: { prefix: string; length: 19 | 20 },
): Promise<string | null> {
  const top = await executor
    .selectFrom('esims')
    .select('iccid')
    .where('iccid', 'like', `${range.prefix}%`)
    .orderBy('iccid', 'desc')
    .limit(1)
    .executeTakeFirst();
  const serial = top?.iccid?.length === range.length ? Number(top.iccid.slice(range.prefix.length, -1)) : 0;
  try {
    return makeIccid(range.prefix, serial + 1, range.length);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** A unique index refused the write (PostgreSQL 23505, SQLite's UNIQUE / PRIMARY KEY constraints). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const changed = (result: { numUpdatedRows: bigint }) => Number(result.numUpdatedRows);

export async function insertEsim(executor: Executor, esim: EsimsTable): Promise<void> {
  await executor.insertInto('esims').values(esim).execute();
}

export async function esimById(executor: Executor, esimId: string) {
  return executor.selectFrom('esims').selectAll().where('id', '=', esimId).executeTakeFirstOrThrow();
}

/** The line's profiles in the order they were made. */
export async function esimsOfLine(executor: Executor, lineId: string) {
  return executor.selectFrom('esims').selectAll().where('line_id', '=', lineId).orderBy('id').execute();
}

/** How many of the line's profiles are in one of these states. */
export async function countEsimsInStates(executor: Executor, lineId: string, states: readonly EsimState[]) {
  const row = await executor
    .selectFrom('esims')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('line_id', '=', lineId)
    .where('state', 'in', [...states])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The profile still on its way that moves the line off `esimId` (a move to a new phone asked for before). */
export async function pendingReplacementOf(executor: Executor, esimId: string) {
  return executor
    .selectFrom('esims')
    .selectAll()
    .where('replaces_esim_id', '=', esimId)
    .where('state', 'in', ['ordering', 'allocated', 'released', 'downloaded'])
    .executeTakeFirst();
}

/** The line's other profiles that have not failed. */
export async function otherLiveEsimsOfLine(executor: Executor, lineId: string, exceptEsimId: string) {
  return executor
    .selectFrom('esims')
    .select('id')
    .where('line_id', '=', lineId)
    .where('id', '!=', exceptEsimId)
    .where('state', '!=', 'failed')
    .execute();
}

/** The line's profiles that still have to be ended (neither unusable nor failed). */
export async function esimsToEndOfLine(executor: Executor, lineId: string) {
  return executor
    .selectFrom('esims')
    .select(['id', 'state'])
    .where('line_id', '=', lineId)
    .where('state', 'not in', ['unusable', 'failed'])
    .execute();
}

/** Records the ICCID chosen for an eSIM being ordered that has none yet; true when this call recorded it. */
export async function recordIccid(executor: Executor, esimId: string, iccid: string, at: string) {
  const set = await executor
    .updateTable('esims')
    .set({ iccid, updated_at: at })
    .where('id', '=', esimId)
    .where('iccid', 'is', null)
    .where('state', '=', 'ordering')
    .executeTakeFirst();
  return changed(set) === 1;
}

export async function iccidAndState(executor: Executor, esimId: string) {
  return executor
    .selectFrom('esims')
    .select(['iccid', 'state'])
    .where('id', '=', esimId)
    .executeTakeFirstOrThrow();
}

/** ordering → allocated (DownloadOrder reserved it); false when the order ended meanwhile. */
export async function markAllocated(executor: Executor, esimId: string, at: string) {
  const moved = await executor
    .updateTable('esims')
    .set({ state: 'allocated', updated_at: at })
    .where('id', '=', esimId)
    .where('state', '=', 'ordering')
    .executeTakeFirst();
  return changed(moved) > 0;
}

/** allocated → released with its activation code (ConfirmOrder); false when the order ended meanwhile. */
export async function markReleased(
  executor: Executor,
  esimId: string,
  release: { matchingId: string; activationCode: string },
  at: string,
) {
  const done = await executor
    .updateTable('esims')
    .set({
      state: 'released',
      matching_id: release.matchingId,
      activation_code: release.activationCode,
      updated_at: at,
    })
    .where('id', '=', esimId)
    .where('state', '=', 'allocated')
    .executeTakeFirst();
  return changed(done) > 0;
}

/** An order still under way (ordering, allocated) fails; false when it had already ended. */
export async function markOrderFailed(executor: Executor, esimId: string, reason: string, at: string) {
  const failed = await executor
    .updateTable('esims')
    .set({ state: 'failed', failure: reason.slice(0, 500), updated_at: at })
    .where('id', '=', esimId)
    .where('state', 'in', ['ordering', 'allocated'])
    .executeTakeFirst();
  return changed(failed) > 0;
}

/** The profile is being made unusable (a disable job follows); `onlyFrom` limits the states it leaves. */
export async function markDisabling(
  executor: Executor,
  esimId: string,
  at: string,
  onlyFrom?: readonly EsimState[],
): Promise<void> {
  let update = executor
    .updateTable('esims')
    .set({ state: 'disabling', updated_at: at })
    .where('id', '=', esimId);
  if (onlyFrom) update = update.where('state', 'in', [...onlyFrom]);
  await update.execute();
}

export async function markUnusable(executor: Executor, esimId: string, at: string): Promise<void> {
  await executor
    .updateTable('esims')
    .set({ state: 'unusable', updated_at: at })
    .where('id', '=', esimId)
    .execute();
}

/** The activation code of one of the account's profiles (undefined for anyone else's). */
export async function activationCodeOf(executor: Executor, accountId: string, esimId: string) {
  return executor
    .selectFrom('esims')
    .select(['activation_code'])
    .where('id', '=', esimId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export async function iccidOf(executor: Executor, esimId: string) {
  const esim = await executor
    .selectFrom('esims')
    .select('iccid')
    .where('id', '=', esimId)
    .executeTakeFirstOrThrow();
  return esim.iccid;
}

/** The newest order of the ICCID: a profile cancelled before download may be ordered again later. */
export async function newestEsimWithIccid(executor: Executor, iccid: string) {
  return executor
    .selectFrom('esims')
    .selectAll()
    .where('iccid', '=', iccid)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** A failed download attempt, kept on the profile (not a final state). */
export async function recordEsimFailure(executor: Executor, esimId: string, failure: string, at: string) {
  await executor
    .updateTable('esims')
    .set({ failure: failure.slice(0, 500), updated_at: at })
    .where('id', '=', esimId)
    .execute();
}

/** released → downloaded, to the EID given; a no-op in any other state. */
export async function markDownloaded(executor: Executor, esimId: string, eid: string | null, at: string) {
  await executor
    .updateTable('esims')
    .set({ state: 'downloaded', eid, updated_at: at })
    .where('id', '=', esimId)
    .where('state', '=', 'released')
    .execute();
}

/** released or downloaded → installed on the EID; false when it was not in either state. */
export async function markInstalled(executor: Executor, esimId: string, eid: string, at: string) {
  const installed = await executor
    .updateTable('esims')
    .set({ state: 'installed', eid, updated_at: at })
    .where('id', '=', esimId)
    .where('state', 'in', ['released', 'downloaded'])
    .executeTakeFirst();
  return changed(installed) > 0;
}
