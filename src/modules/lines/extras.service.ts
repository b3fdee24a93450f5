import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { minorDigits } from '../../core/money.js';
import type { Db } from '../../db/database.js';
import { holdRatingLock } from '../../db/locks.js';
import type { AddonsTable } from '../../db/schema.js';
import type { NetworkAdapter } from '../../integrations/network/network.js';
import { networksOf } from '../../telecom/plmn.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { countryCode } from '../catalog/countries.js';
import { offerName, requireOperatorCurrency } from '../catalog/offers.js';
import type { WalletService } from '../wallet/wallet.service.js';
import { createPlanChange } from './lines.plan-change.js';
import {
  activeAddon,
  activeAddons,
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
import { addToAllowances, ownActiveLine, ownLine } from './stores/lines.store.js';

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

/**
 * What a subscriber changes on a line after buying it (R3, R12): the preferred partner network per
 * country, and add-ons that top up the allowances of an active line.
 */
export function createLineExtras(deps: {
  db: Db;
  clock: Clock;
  currency: string;
  audit: Pick<AuditService, 'record'>;
  wallet: Pick<WalletService, 'charge'>;
  catalog: Pick<CatalogService, 'get'>;
  network: Pick<NetworkAdapter, 'preferNetwork'>;
}) {
  const { db, clock, audit } = deps;
  const planChange = createPlanChange(deps);

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
    caller: Caller,
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
        actor: caller.actor,
        action: 'line.network_preferred',
        subject: { type: 'line', id: lineId },
        accountId,
        before: { country, plmn: before },
        after: { country, plmn },
        requestId: caller.requestId,
      });
    });
    await deps.network.preferNetwork(line.msisdn, country, plmn);
    return networks(accountId, lineId, country);
  }

  function presentAddon(a: AddonsTable, locale: string) {
    return {
      id: a.id,
      code: a.code,
      name: offerName(a.names, locale, a.code),
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
  async function buyAddon(accountId: string, lineId: string, addonId: string, caller: Caller) {
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
        actor: caller.actor,
        action: 'line.addon_purchased',
        subject: { type: 'line', id: lineId },
        accountId,
        after: { addon: addon.code, price: Number(addon.price) },
        requestId: caller.requestId,
      });
      const body = { id: purchaseId, lineId, addon: presentAddon(addon, caller.locale ?? 'en') };
      await caller.idempotency?.(tx, body);
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

  interface AddonInput {
    code: string;
    names: { en: string; 'zh-CN': string };
    dataMb: number;
    voiceMinutes: number;
    sms: number;
    price: { amount: number; currency: string };
  }

  /** Admins add, edit and retire add-ons; sold ones are never deleted. */
  async function saveAddon(addonId: string | null, input: AddonInput, caller: Caller) {
    requireOperatorCurrency(input.price, deps.currency);
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
        actor: caller.actor,
        action: addonId ? 'addon.updated' : 'addon.created',
        subject: { type: 'addon', id },
        after: input,
        requestId: caller.requestId,
      });
      // Just written: it is there.
      return presentAddon((await addonById(tx, id))!, 'en');
    });
  }

  async function retireAddon(addonId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const addon = await addonById(tx, addonId);
      if (!addon) throw new AppError('ADDON_NOT_FOUND', { field: 'id' });
      await saveRetired(tx, addonId);
      if (addon.status !== 'retired') {
        await audit.record(tx, {
          actor: caller.actor,
          action: 'addon.retired',
          subject: { type: 'addon', id: addonId },
          before: { status: addon.status },
          after: { status: 'retired' },
          requestId: caller.requestId,
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
    planChangeQuote: planChange.planChangeQuote,
    changePlan: planChange.changePlan,
    saveAddon,
    retireAddon,
  };
}

export type LineExtras = ReturnType<typeof createLineExtras>;
