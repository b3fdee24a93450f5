import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Dialect, Executor } from '../../db/database.js';
import type { PolicyService } from '../policies/policies.service.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The number pool: E.164 numbers are assigned to lines and, once released, sit in quarantine for the
 * policy's days before they can be issued again. Demo mode mints new numbers from the configured prefix
 * when the pool runs dry; production answers NUMBERS_EXHAUSTED until numbers are loaded.
 */
export function createNumberPool(deps: {
  clock: Clock;
  config: Config;
  dialect: Dialect;
  policies: PolicyService;
}) {
  const { clock, config } = deps;
  const mint = config.demoParts.has('smdp-emulator');

  async function assign(tx: Executor, lineId: string): Promise<string> {
    const now = clock.now().toISOString();
    let free = tx
      .selectFrom('numbers')
      .select('msisdn')
      .where('status', 'in', ['available', 'quarantined'])
      .where('available_from', '<=', now)
      .orderBy('available_from')
      .orderBy('msisdn')
      .limit(1);
    if (deps.dialect === 'postgres') free = free.forUpdate().skipLocked();
    let msisdn = (await free.executeTakeFirst())?.msisdn;
    if (!msisdn && mint) msisdn = await mintNumber(tx);
    if (!msisdn) throw new AppError('NUMBERS_EXHAUSTED');
    await tx
      .updateTable('numbers')
      .set({ status: 'assigned', line_id: lineId, updated_at: now })
      .where('msisdn', '=', msisdn)
      .execute();
    return msisdn;
  }

  async function mintNumber(tx: Executor): Promise<string> {
    const count = await tx
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const width = config.lines.numberDigits - (config.lines.numberPrefix.length - 1);
    for (let serial = Number(count.n) + 1; serial < Number(count.n) + 50; serial++) {
      const msisdn = `${config.lines.numberPrefix}${String(serial).padStart(width, '0')}`;
      const now = clock.now().toISOString();
      const inserted = await tx
        .insertInto('numbers')
        .values({ msisdn, status: 'available', line_id: null, available_from: now, updated_at: now })
        .onConflict((oc) => oc.column('msisdn').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return msisdn;
    }
    throw new AppError('NUMBERS_EXHAUSTED');
  }

  /** Takes a number back: straight to the pool if it was never in service, else into quarantine. */
  async function release(tx: Executor, msisdn: string, used: boolean): Promise<void> {
    const now = clock.now();
    const { quarantineDays } = await deps.policies.get(tx);
    const from = used ? new Date(now.getTime() + quarantineDays * DAY) : now;
    await tx
      .updateTable('numbers')
      .set({
        status: used ? 'quarantined' : 'available',
        line_id: null,
        available_from: from.toISOString(),
        updated_at: now.toISOString(),
      })
      .where('msisdn', '=', msisdn)
      .execute();
  }

  return { assign, release };
}

export type NumberPool = ReturnType<typeof createNumberPool>;
