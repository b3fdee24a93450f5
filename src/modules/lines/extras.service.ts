import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import { minorDigits } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { AddonsTable, LinesTable } from '../../db/schema.js';
import type { Complete } from '../../http/idempotency.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import { networksOf } from '../../telecom/plmn.js';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { countryCode } from '../catalog/countries.js';
import type { WalletService } from '../wallet/wallet.service.js';
import {
  activeAddon,
  activeAddons,
  addonAllowances,
  addonById,
  addonIdByCode,
  anyAddon,
  insertAddon,
  insertLineAddon,
  preferredNetwork,
  savePreferredNetwork,
  retireAddon as saveRetired,
  updateAddon,
} from './stores/extras.store.js';
import {
  addToAllowances,
  holdRatingLock,
  ownActiveLine,
  ownLine,
  planOfLine,
  startPlan,
} from './stores/lines.store.js';

const DEMO_ADDONS = [
  {
    code: 'data-1gb',
    names: { en: 'Extra 1 GB', 'zh-CN': '加量 1GB' },
    dataMb: 1024,
    voiceMinutes: 0,
    sms: 0,
    price: 12,
  },
  {
    code: 'data-5gb',
    names: { en: 'Extra 5 GB', 'zh-CN': '加量 5GB' },
    dataMb: 5120,
    voiceMinutes: 0,
    sms: 0,
    price: 45,
  },
  {
    code: 'voice-60',
    names: { en: '60 minutes of calls', 'zh-CN': '通话 60 分钟' },
    dataMb: 0,
    voiceMinutes: 60,
    sms: 0,
    price: 15,
  },
  {
    code: 'sms-50',
    names: { en: '50 SMS', 'zh-CN': '短信 50 条' },
    dataMb: 0,
    voiceMinutes: 0,
    sms: 50,
    price: 8,
  },
];

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

/**
 * What a subscriber changes on a line after buying it (R3, R12): the preferred partner network per
 * country, and add-ons that top up the allowances of an active line.
 */
export function createLineExtras(deps: {
  db: Db;
  clock: Clock;
  currency: string;
  audit: AuditService;
  wallet: WalletService;
  catalog: CatalogService;
  network: NetworkAdapter;
}) {
  const { db, clock, audit } = deps;

  async function coveredCountry(planId: string, raw: string) {
    const country = countryCode(raw);
    const plan = await deps.catalog.get(db, planId, 'en');
    if (!plan.countries.includes(country))
      throw new AppError('COUNTRY_NOT_COVERED', { field: 'country', covered: plan.countries });
    return country;
  }

  async function networks(accountId: string, lineId: string, rawCountry: string) {
    const line = await ownLine(db, accountId, lineId);
    const country = await coveredCountry(line.plan_id, rawCountry);
    const preferred = await preferredNetwork(db, lineId, country);
    return { country, preferred, networks: networksOf(country) };
  }

  /** Switches the preferred network at once: recorded, audited and sent to the network adapter. */
  async function preferNetwork(
    accountId: string,
    lineId: string,
    rawCountry: string,
    plmn: string,
    actor: Actor,
    requestId: string,
  ) {
    const line = await ownLine(db, accountId, lineId);
    const country = await coveredCountry(line.plan_id, rawCountry);
    const network = networksOf(country).find((n) => n.plmn === plmn);
    if (!network) throw new AppError('INVALID_NETWORK', { field: 'plmn' });
    await db.transaction().execute(async (tx) => {
      const before = await preferredNetwork(tx, lineId, country);
      const now = clock.now().toISOString();
      await savePreferredNetwork(tx, { line_id: lineId, country, plmn, updated_at: now });
      await audit.record(tx, {
        actor,
        action: 'line.network_preferred',
        subject: { type: 'line', id: lineId },
        accountId,
        before: { country, plmn: before },
        after: { country, plmn },
        requestId,
      });
    });
    await deps.network.preferNetwork(line.msisdn, country, plmn);
    return networks(accountId, lineId, country);
  }

  function presentAddon(a: AddonsTable, locale: string) {
    const names = JSON.parse(a.names) as Record<string, string>;
    return {
      id: a.id,
      code: a.code,
      name: names[locale] ?? names.en ?? a.code,
      dataMb: a.data_mb,
      voiceMinutes: a.voice_minutes,
      sms: a.sms,
      price: { amount: Number(a.price), currency: a.currency },
    };
  }

  async function addons(locale: string) {
    const rows = await activeAddons(db);
    return rows.map((a) => presentAddon(a, locale));
  }

  /** Buys an add-on for an active line: paid from the balance, added to the remaining allowances. */
  async function buyAddon(
    accountId: string,
    lineId: string,
    addonId: string,
    locale: string,
    complete: Complete,
    actor: Actor,
    requestId: string,
  ) {
    return db.transaction().execute(async (tx) => {
      await holdRatingLock(tx);
      await ownActiveLine(tx, accountId, lineId, clock.now());
      const addon = await activeAddon(tx, addonId);
      if (!addon) throw new AppError('ADDON_NOT_FOUND', { field: 'addonId' });
      const purchaseId = newId('lad', clock.now().getTime());
      await deps.wallet.charge(tx, accountId, Number(addon.price), { type: 'addon', id: purchaseId });
      await insertLineAddon(tx, {
        id: purchaseId,
        line_id: lineId,
        addon_id: addon.id,
        price: addon.price,
        created_at: clock.now().toISOString(),
      });
      await addToAllowances(
        tx,
        lineId,
        { dataBytes: addon.data_mb * MB, voiceSeconds: addon.voice_minutes * 60, sms: addon.sms },
        clock.now().toISOString(),
      );
      await audit.record(tx, {
        actor,
        action: 'line.addon_purchased',
        subject: { type: 'line', id: lineId },
        accountId,
        after: { addon: addon.code, price: Number(addon.price) },
        requestId,
      });
      const body = { id: purchaseId, lineId, addon: presentAddon(addon, locale) };
      await complete(tx, body);
      return body;
    });
  }

  async function seedDemoAddons(): Promise<number> {
    if (await anyAddon(db)) return 0;
    const scale = 10 ** minorDigits(deps.currency);
    for (const a of DEMO_ADDONS) {
      await insertAddon(db, {
        id: newId('add', clock.now().getTime()),
        code: a.code,
        names: JSON.stringify(a.names),
        data_mb: a.dataMb,
        voice_minutes: a.voiceMinutes,
        sms: a.sms,
        price: a.price * scale,
        currency: deps.currency,
        status: 'active',
        created_at: clock.now().toISOString(),
      });
    }
    return DEMO_ADDONS.length;
  }

  /**
   * The price rule of a plan change (docs/plan-changes.md), shown before confirming and charged as
   * shown: the current plan counts as used by the larger of its time used (in started hours) and each
   * of its allowances used (data, minutes, SMS); the unused rest of what it was paid is credited,
   * rounded down; the new plan is priced in full, less the credit, and starts now with its full
   * allowances and validity. A credit above the new price is not paid out. So a change never gives
   * back what was used, and the new plan's allowances and validity are always paid for in full.
   */
  async function planChangeQuote(
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

  /**
   * Changes the plan now at the quoted price. `maxToPay` is what the subscriber saw and agreed to; if
   * usage arrived or an hour started since, and the change would cost more, it is refused with
   * QUOTE_CHANGED (details.toPay) and nothing moves.
   */
  async function changePlan(
    accountId: string,
    lineId: string,
    planId: string,
    locale: Locale,
    complete: Complete,
    actor: Actor,
    requestId: string,
    maxToPay?: number,
  ) {
    return db.transaction().execute(async (tx) => {
      await holdRatingLock(tx);
      const quote = await planChangeQuote(tx, accountId, lineId, planId, locale);
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
        actor,
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
        requestId,
      });
      await complete(tx, quote);
      return quote;
    });
  }

  interface AddonInput {
    code: string;
    names: { en: string; 'zh-CN': string };
    dataMb: number;
    voiceMinutes: number;
    sms: number;
    price: { amount: number; currency: string };
  }

  /** Admins add, edit and retire add-ons; sold ones are never deleted. */
  async function saveAddon(addonId: string | null, input: AddonInput, actor: Actor, requestId: string) {
    if (input.price.currency !== deps.currency) {
      throw new AppError('CURRENCY_MISMATCH', { field: 'price.currency' }, { currency: deps.currency });
    }
    return db.transaction().execute(async (tx) => {
      const clash = await addonIdByCode(tx, input.code);
      if (clash !== undefined && clash !== addonId)
        throw new AppError('CONFLICT', { field: 'code', reason: 'an add-on with this code exists' });
      const columns = {
        code: input.code,
        names: JSON.stringify(input.names),
        data_mb: input.dataMb,
        voice_minutes: input.voiceMinutes,
        sms: input.sms,
        price: input.price.amount,
      };
      let id = addonId;
      if (id) {
        const before = await addonById(tx, id);
        if (!before) throw new AppError('ADDON_NOT_FOUND', { field: 'id' });
        if (before.status === 'retired') throw new AppError('PLAN_RETIRED', { field: 'id' });
        await updateAddon(tx, id, columns);
      } else {
        id = newId('add', clock.now().getTime());
        await insertAddon(tx, {
          id,
          ...columns,
          currency: deps.currency,
          status: 'active',
          created_at: clock.now().toISOString(),
        });
      }
      await audit.record(tx, {
        actor,
        action: addonId ? 'addon.updated' : 'addon.created',
        subject: { type: 'addon', id },
        after: input,
        requestId,
      });
      // Just written: it is there.
      return presentAddon((await addonById(tx, id))!, 'en');
    });
  }

  async function retireAddon(addonId: string, actor: Actor, requestId: string) {
    return db.transaction().execute(async (tx) => {
      const addon = await addonById(tx, addonId);
      if (!addon) throw new AppError('ADDON_NOT_FOUND', { field: 'id' });
      await saveRetired(tx, addonId);
      if (addon.status !== 'retired') {
        await audit.record(tx, {
          actor,
          action: 'addon.retired',
          subject: { type: 'addon', id: addonId },
          before: { status: addon.status },
          after: { status: 'retired' },
          requestId,
        });
      }
      return presentAddon({ ...addon, status: 'retired' }, 'en');
    });
  }

  return {
    networks,
    preferNetwork,
    addons,
    buyAddon,
    seedDemoAddons,
    planChangeQuote,
    changePlan,
    saveAddon,
    retireAddon,
  };
}

export type LineExtras = ReturnType<typeof createLineExtras>;
