import type { Config } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Dialect, Executor } from '../../db/database.js';
import type { PolicyService } from '../policies/policies.service.js';
import {
  addNumberIfNew,
  assignNumber,
  countNumbers,
  firstFreeNumber,
  releaseNumber,
} from './stores/numbers.store.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The number pool: E.164 numbers are assigned to lines and, once released, sit in quarantine for the
 * policy's days before they can be issued again. With `mint` (demo mode) new numbers are made from the
 * configured prefix when the pool runs dry; otherwise it answers NUMBERS_EXHAUSTED until numbers are loaded.
 */
export function createNumberPool(deps: {
  clock: Clock;
  dialect: Dialect;
  policies: Pick<PolicyService, 'get'>;
  format: Pick<Config['lines'], 'numberPrefix' | 'numberDigits'>;
  mint: boolean;
}) {
  const { clock, format, mint } = deps;

  async function assign(tx: Executor, lineId: string): Promise<string> {
    const now = clock.now().toISOString();
    let msisdn = await firstFreeNumber(tx, now, deps.dialect === 'postgres');
    if (!msisdn && mint) msisdn = await mintNumber(tx);
    if (!msisdn) throw new AppError('NUMBERS_EXHAUSTED');
    await assignNumber(tx, msisdn, lineId, now);
    return msisdn;
  }

  async function mintNumber(tx: Executor): Promise<string> {
    const count = await countNumbers(tx);
    const width = format.numberDigits - (format.numberPrefix.length - 1);
    for (let serial = count + 1; serial < count + 50; serial++) {
      const msisdn = `${format.numberPrefix}${String(serial).padStart(width, '0')}`;
      if (await addNumberIfNew(tx, msisdn, clock.now().toISOString())) return msisdn;
    }
    throw new AppError('NUMBERS_EXHAUSTED');
  }

  /** Takes a number back: straight to the pool if it was never in service, else into quarantine. */
  async function release(tx: Executor, msisdn: string, used: boolean): Promise<void> {
    const now = clock.now();
    const { quarantineDays } = await deps.policies.get(tx);
    const from = used ? new Date(now.getTime() + quarantineDays * DAY) : now;
    await releaseNumber(
      tx,
      msisdn,
      used ? 'quarantined' : 'available',
      from.toISOString(),
      now.toISOString(),
    );
  }

  return { assign, release };
}

export type NumberPool = ReturnType<typeof createNumberPool>;
