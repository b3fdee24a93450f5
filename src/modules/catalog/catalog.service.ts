import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Locale } from '../../core/i18n.js';
import { newId } from '../../core/ids.js';
import { minorDigits } from '../../core/money.js';
import type { Db, Executor } from '../../db/database.js';
import type { PlansTable } from '../../db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import {
  anyPlan,
  countriesOfPlans,
  deletePlanCountries,
  findPlan,
  findPlanIdByCode,
  insertPlan,
  insertPlanCountries,
  listPlans,
  retirePlan,
  updatePlanColumns,
} from './catalog.store.js';
import { countryCode, countryName } from './countries.js';
import { DEMO_PLANS } from './demo-catalog.js';
import { offerName, requireOperatorCurrency } from './offers.js';

export interface PlanInput {
  code: string;
  names: { en: string; 'zh-CN': string };
  countries: string[];
  region?: string | null;
  dataMb: number;
  voiceMinutes: number;
  sms: number;
  validityDays: number;
  price: { amount: number; currency: string };
  overage?: { dataPerMb: number; voicePerMinute: number; smsEach: number };
}

const DEFAULT_OVERAGE = { dataPerMb: 10, voicePerMinute: 50, smsEach: 20 };

/** The plan columns an admin sets, from the API shape. */
function columns(input: PlanInput, overage: NonNullable<PlanInput['overage']>) {
  return {
    code: input.code,
    names: JSON.stringify(input.names),
    region: input.region ?? null,
    data_mb: input.dataMb,
    voice_minutes: input.voiceMinutes,
    sms: input.sms,
    validity_days: input.validityDays,
    price: input.price.amount,
    overage: JSON.stringify(input.overage ?? overage),
  };
}

export function createCatalogService(deps: {
  db: Db;
  clock: Clock;
  currency: string;
  audit: Pick<AuditService, 'record'>;
}) {
  const { db, clock, audit } = deps;

  function present(row: PlansTable, countries: string[], locale: Locale) {
    return {
      id: row.id,
      code: row.code,
      name: offerName(row.names, locale, row.code),
      countries,
      countryNames: countries.map((c) => countryName(c, locale)),
      region: row.region,
      dataMb: row.data_mb,
      voiceMinutes: row.voice_minutes,
      sms: row.sms,
      validityDays: row.validity_days,
      price: { amount: Number(row.price), currency: row.currency },
      overage: JSON.parse(row.overage) as typeof DEFAULT_OVERAGE,
      status: row.status,
    };
  }

  async function countriesOf(executor: Executor, planIds: string[]) {
    const rows = planIds.length ? await countriesOfPlans(executor, planIds) : [];
    const map = new Map<string, string[]>();
    for (const r of rows) map.set(r.plan_id, [...(map.get(r.plan_id) ?? []), r.country]);
    return map;
  }

  /** Active plans, for one country (including regional plans that cover it) or all of them. */
  async function list(filter: { country?: string; includeRetired?: boolean }, locale: Locale) {
    const country = filter.country ? countryCode(filter.country) : undefined;
    const rows = await listPlans(db, { country, includeRetired: filter.includeRetired });
    const countries = await countriesOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => present(r, countries.get(r.id) ?? [], locale));
  }

  /** One plan, read with `executor` (a peer's transaction). */
  async function get(executor: Executor, planId: string, locale: Locale) {
    const row = await findPlan(executor, planId);
    if (!row) throw new AppError('PLAN_NOT_FOUND', { field: 'planId' });
    return present(row, (await countriesOf(executor, [row.id])).get(row.id) ?? [], locale);
  }

  /** One plan, as the plans page shows it. */
  async function plan(planId: string, locale: Locale) {
    return get(db, planId, locale);
  }

  function validate(input: PlanInput) {
    requireOperatorCurrency(input.price, deps.currency);
    const countries = [...new Set(input.countries.map((c, i) => countryCode(c, `countries.${i}`)))];
    return countries;
  }

  async function create(input: PlanInput, caller: Caller) {
    const countries = validate(input);
    const now = clock.now().toISOString();
    const id = newId('pln', clock.now().getTime());
    return db.transaction().execute(async (tx) => {
      const existing = await findPlanIdByCode(tx, input.code);
      if (existing) throw new AppError('CONFLICT', { field: 'code', reason: 'a plan with this code exists' });
      await insertPlan(tx, {
        id,
        ...columns(input, DEFAULT_OVERAGE),
        currency: input.price.currency,
        status: 'active',
        created_at: now,
        updated_at: now,
      });
      await insertPlanCountries(tx, id, countries);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'plan.created',
        subject: { type: 'plan', id },
        after: { ...input, countries },
        requestId: caller.requestId,
      });
      return get(tx, id, 'en');
    });
  }

  /** Edits what is offered; a plan that was sold keeps its id and history. Retired plans cannot be edited. */
  async function update(planId: string, input: PlanInput, caller: Caller) {
    const countries = validate(input);
    return db.transaction().execute(async (tx) => {
      const before = await get(tx, planId, 'en');
      if (before.status === 'retired') throw new AppError('PLAN_RETIRED', { field: 'planId' });
      await updatePlanColumns(tx, planId, columns(input, before.overage), clock.now().toISOString());
      await deletePlanCountries(tx, planId);
      await insertPlanCountries(tx, planId, countries);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'plan.updated',
        subject: { type: 'plan', id: planId },
        before,
        after: { ...input, countries },
        requestId: caller.requestId,
      });
      return get(tx, planId, 'en');
    });
  }

  /** Retires a plan: no longer offered; never deleted (lines sold on it keep pointing at it). */
  async function retire(planId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const before = await get(tx, planId, 'en');
      await retirePlan(tx, planId, clock.now().toISOString());
      if (before.status !== 'retired') {
        await audit.record(tx, {
          actor: caller.actor,
          action: 'plan.retired',
          subject: { type: 'plan', id: planId },
          before: { status: before.status },
          after: { status: 'retired' },
          requestId: caller.requestId,
        });
      }
      return get(tx, planId, 'en');
    });
  }

  /** Demo mode: fills an empty catalog with the demo plans, priced in the operator currency. */
  async function seedDemo(): Promise<number> {
    const any = await anyPlan(db);
    if (any) return 0;
    const scale = 10 ** minorDigits(deps.currency);
    for (const plan of DEMO_PLANS) {
      await create(
        { ...plan, price: { amount: plan.price * scale, currency: deps.currency } },
        { actor: { type: 'system', id: 'demo-seed' } },
      );
    }
    return DEMO_PLANS.length;
  }

  return {
    list,
    get,
    plan,
    create,
    update,
    retire,
    seedDemo,
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
