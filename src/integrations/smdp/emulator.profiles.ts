import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/database.js';
import type { EmuProfilesTable } from '../../db/schema.js';
import { makeIccid } from '../../telecom/iccid.js';
import {
  firstAvailableOfType,
  highestIccidWithPrefix,
  insertAvailableProfile,
  matchingIdInUse,
  profileByIccid,
  profileByMatchingId,
  reserveIfAvailable,
  updateProfile,
} from './emulator.store.js';

/**
 * The SM-DP+ emulator's profile inventory: profiles per profile type made from the operator's
 * ICCID range (serials 1 … SMDP_EMULATOR_INVENTORY), reserved, released and downloaded.
 */
export function createEmulatorProfiles(deps: { db: Db; clock: Clock; config: Config }) {
  const { db, clock, config } = deps;

  async function profile(iccid: string) {
    return profileByIccid(db, iccid);
  }

  async function setState(iccid: string, changes: Partial<EmuProfilesTable>) {
    await updateProfile(db, iccid, changes, clock.now().toISOString());
  }

  // The emulator is one in-process component: serialising inventory changes keeps two concurrent
  // DownloadOrders from minting or taking the same profile (on PostgreSQL they would otherwise race).
  let inventoryLock: Promise<unknown> = Promise.resolve();
  function serially<T>(work: () => Promise<T>): Promise<T> {
    const run = inventoryLock.then(work, work);
    inventoryLock = run.catch(() => undefined);
    return run;
  }

  /** The serial of an ICCID in the operator's range (1 … inventory hold profiles), else null. */
  function serialOf(iccid: string): number | null {
    const { prefix, length } = config.iccid;
    if (iccid.length !== length || !iccid.startsWith(prefix)) return null;
    return Number(iccid.slice(prefix.length, -1));
  }

  /**
   * A profile the operator names by ICCID: the inventory holds serials 1 … SMDP_EMULATOR_INVENTORY of
   * the operator's range, made on first use with the profile type asked for.
   */
  async function namedProfile(iccid: string, profileType: string) {
    const found = await profile(iccid);
    if (found) return found;
    const serial = serialOf(iccid);
    if (serial === null || serial < 1) return 'unknown' as const;
    if (serial > config.smdp.emulatorInventory) return 'exhausted' as const;
    await insertAvailableProfile(db, iccid, profileType, clock.now().toISOString(), { ifNew: true });
    return (await profile(iccid))!;
  }

  /**
   * DownloadOrder for a named ICCID: the profile is taken only if it is available, in one conditional
   * update, so two orders for one ICCID (even through two API processes) cannot both get it.
   */
  async function reserveNamed(
    iccid: string,
    profileType: string | null,
    reservation: { state: 'allocated' | 'linked'; eid: string | null },
  ) {
    const p = await namedProfile(iccid, profileType ?? config.smdp.profileType);
    if (typeof p === 'string') return p;
    if (profileType && p.profile_type !== profileType) return 'other-type' as const;
    const taken = await reserveIfAvailable(db, iccid, reservation, clock.now().toISOString());
    return taken ? ('taken' as const) : ('in-use' as const);
  }

  /** An available profile of the type, creating one from the operator range while the inventory lasts. */
  async function takeAvailable(profileType: string) {
    return db.transaction().execute(async (tx) => {
      const free = await firstAvailableOfType(tx, profileType);
      if (free) return free;
      // Profiles the operator named by ICCID are made out of order: the next new one follows the highest.
      const highest = await highestIccidWithPrefix(tx, config.iccid.prefix);
      const serial = (highest ? (serialOf(highest) ?? 0) : 0) + 1;
      if (serial > config.smdp.emulatorInventory) return null;
      const iccid = makeIccid(config.iccid.prefix, serial, config.iccid.length);
      await insertAvailableProfile(tx, iccid, profileType, clock.now().toISOString(), { ifNew: false });
      return iccid;
    });
  }

  return {
    profile,
    byMatchingId: (matchingId: string) => profileByMatchingId(db, matchingId),
    matchingIdInUse: (matchingId: string) => matchingIdInUse(db, matchingId),
    setState,
    serially,
    reserveNamed,
    takeAvailable,
  };
}

export type EmulatorProfiles = ReturnType<typeof createEmulatorProfiles>;
