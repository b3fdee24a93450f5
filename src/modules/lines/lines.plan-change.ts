import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { isLocale, type Locale } from '../../core/i18n.js';
import type { Db, Executor } from '../../db/database.js';
import { holdRatingLock } from '../../db/locks.js';
import type { LinesTable } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { addonAllowances } from './stores/extras.store.js';
import { ownActiveLine, planOfLine, startPlan } from './stores/lines.store.js';

const MB = 1024 * 1024;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const MEASURES = ['time', 'data', 'voice', 'sms'] as const;
type Measure = (typeof MEASURES)[number];
/** How much of one measure of a plan is used, in whole units (ms, bytes, seconds, SMS): 0 ≤ used ≤ of. */
type Used = Record<Measure, { used: number; of: number }>;

const fraction = (m: { used: number; of: number }) => (m.of > 0 ? m.used / m.of : 0);
/** Shares are shown to four places; the credit is computed from the whole units, not from these. */
const display = (share: number) => Math.round(share * 10_000) / 10_000;
const clamp = (value: number, max: number) => Math.min(max, Math.max(0, value));
/** The language the quote's plan name is in: the caller's, English without one. */
const localeOf = (caller: Caller): Locale => (isLocale(caller.locale) ? caller.locale : 'en');

/**
 * How much of the line's current plan is used. Time counts in started hours from the start of the
 * period. Allowances count against the plan's own allowance first: the add-ons bought in the period
 * are spent after it (they are not credited), so a measure the plan does not include (of = 0) is not
 * a measure of the plan at all.
 */
export function usedShare(
  line: Pick<
    LinesTable,
    'activated_at' | 'expires_at' | 'data_bytes_left' | 'voice_seconds_left' | 'sms_left'
  >,
  plan: { dataMb: number; voiceMinutes: number; sms: number },
  addons: { dataMb: number; voiceMinutes: number; sms: number },
  now: Date,
): Used {
  const start = Date.parse(line.activated_at!);
  const period = Math.max(0, Date.parse(line.expires_at!) - start);
  const elapsed = Math.max(0, now.getTime() - start);
  const allowance = (planUnits: number, addonUnits: number, left: number | null) => ({
    used: clamp(planUnits + addonUnits - Number(left ?? 0), planUnits),
    of: planUnits,
  });
  return {
    time: { used: clamp(Math.ceil(elapsed / HOUR) * HOUR, period), of: period },
    data: allowance(plan.dataMb * MB, addons.dataMb * MB, line.data_bytes_left),
    voice: allowance(plan.voiceMinutes * 60, addons.voiceMinutes * 60, line.voice_seconds_left),
    sms: allowance(plan.sms, addons.sms, line.sms_left),
  };
}

/**
 * The credit for the unused part of a plan that was paid `paid`: paid × (1 − the largest used share),
 * rounded down, in exact integer arithmetic (bytes × minor units outgrow a double). A plan with no
 * period at all is worth nothing back.
 */
export function creditFor(paid: number, used: Used): number {
  if (used.time.of <= 0 || paid <= 0) return 0;
  let credit = BigInt(paid);
  for (const m of MEASURES) {
    const { used: u, of } = used[m];
    if (of <= 0) continue;
    const share = (BigInt(paid) * BigInt(of - u)) / BigInt(of);
    if (share < credit) credit = share;
  }
  return Number(credit);
}

/** A subscriber moves an active line to another plan now, paying the new plan less a credit (R12). */
export function createPlanChange(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  wallet: Pick<WalletService, 'charge'>;
  catalog: Pick<CatalogService, 'get'>;
}) {
  const { db, clock, audit } = deps;

  /**
   * The price rule of a plan change (docs/plan-changes.md), shown before confirming and charged as
   * shown: the current plan counts as used by the larger of its time used (in started hours) and each
   * of its allowances used (data, minutes, SMS); the unused rest of what it was paid is credited,
   * rounded down; the new plan is priced in full, less the credit, and starts now with its full
   * allowances and validity. A credit above the new price is not paid out. So a change never gives
   * back what was used, and the new plan's allowances and validity are always paid for in full.
   */
  async function quoteOn(
    executor: Executor,
    accountId: string,
    lineId: string,
    planId: string,
    locale: Locale,
  ) {
    const now = clock.now();
    const line = await ownActiveLine(executor, accountId, lineId, now);
    const target = await deps.catalog.get(executor, planId, locale);
    if (target.status !== 'active') throw new AppError('PLAN_RETIRED', { field: 'planId' });
    if (planId === line.plan_id)
      throw new AppError('CONFLICT', { field: 'planId', reason: 'the line is already on this plan' });
    const current = await deps.catalog.get(executor, line.plan_id, 'en');
    const used = usedShare(line, current, await addonAllowances(executor, line), now);
    const paid = Number(line.price);
    const credit = creditFor(paid, used);
    const currency = target.price.currency;
    const share = Math.max(...MEASURES.map((m) => fraction(used[m])));
    return {
      lineId,
      planId,
      planName: target.name,
      price: target.price,
      credit: { amount: credit, currency },
      toPay: { amount: Math.max(0, target.price.amount - credit), currency },
      validityDays: target.validityDays,
      paid: { amount: paid, currency: line.currency },
      used: {
        share: display(share),
        by: share > 0 ? MEASURES.find((m) => fraction(used[m]) === share)! : null,
        time: display(fraction(used.time)),
        data: display(fraction(used.data)),
        voice: display(fraction(used.voice)),
        sms: display(fraction(used.sms)),
      },
      creditForfeited: { amount: Math.max(0, credit - target.price.amount), currency },
      allowances: { dataMb: target.dataMb, voiceMinutes: target.voiceMinutes, sms: target.sms },
      quotedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + target.validityDays * DAY).toISOString(),
    };
  }

  /** The quote of a plan change (see quoteOn), before the subscriber confirms it. */
  async function planChangeQuote(accountId: string, lineId: string, planId: string, locale: Locale) {
    return quoteOn(db, accountId, lineId, planId, locale);
  }

  /**
   * Changes the plan now at the quoted price. `maxToPay` is what the subscriber saw and agreed to; if
   * usage arrived or an hour started since, and the change would cost more, it is refused with
   * QUOTE_CHANGED (details.toPay) and nothing moves.
   */
  async function changePlan(
    accountId: string,
    lineId: string,
    { planId, maxToPay }: { planId: string; maxToPay?: number },
    caller: Caller,
  ) {
    return db.transaction().execute(async (tx) => {
      await holdRatingLock(tx);
      const quote = await quoteOn(tx, accountId, lineId, planId, localeOf(caller));
      if (maxToPay !== undefined && quote.toPay.amount > maxToPay)
        throw new AppError('QUOTE_CHANGED', { field: 'maxToPay', toPay: quote.toPay });
      const target = await deps.catalog.get(tx, planId, 'en');
      const posting =
        quote.toPay.amount > 0
          ? await deps.wallet.charge(tx, accountId, quote.toPay.amount, { type: 'plan_change', id: lineId })
          : null;
      const now = clock.now();
      const before = await planOfLine(tx, lineId);
      // The new plan is paid in full (money plus the credit), so it starts fresh: all its allowances
      // and validity from now. What was left of the old period, add-ons included, ends here.
      await startPlan(
        tx,
        lineId,
        { plan_id: planId, price: target.price.amount },
        {
          activated_at: now.toISOString(),
          expires_at: quote.expiresAt,
          data_bytes_left: target.dataMb * MB,
          voice_seconds_left: target.voiceMinutes * 60,
          sms_left: target.sms,
          updated_at: now.toISOString(),
        },
      );
      await audit.record(tx, {
        actor: caller.actor,
        action: 'line.plan_changed',
        subject: { type: 'line', id: lineId },
        accountId,
        before: {
          planId: before.plan_id,
          paid: Number(before.price),
          expiresAt: before.expires_at,
          dataBytesLeft: before.data_bytes_left === null ? null : Number(before.data_bytes_left),
          voiceSecondsLeft: before.voice_seconds_left === null ? null : Number(before.voice_seconds_left),
          smsLeft: before.sms_left,
        },
        after: {
          planId,
          posting: posting?.id ?? null,
          paid: quote.toPay.amount,
          credit: quote.credit.amount,
          used: quote.used,
          expiresAt: quote.expiresAt,
        },
        requestId: caller.requestId,
      });
      await caller.idempotency?.(tx, quote);
      return quote;
    });
  }

  return { planChangeQuote, changePlan };
}

export type PlanChange = ReturnType<typeof createPlanChange>;
