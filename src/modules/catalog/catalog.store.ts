import type { Insertable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { PlansTable } from '../../db/schema.js';

/** The plan columns an admin sets. */
type PlanColumns = Pick<
  Insertable<PlansTable>,
  'code' | 'names' | 'region' | 'data_mb' | 'voice_minutes' | 'sms' | 'validity_days' | 'price' | 'overage'
>;

/** The countries of each plan, alphabetically. */
export function countriesOfPlans(executor: Executor, planIds: string[]) {
  return executor
    .selectFrom('plan_countries')
    .selectAll()
    .where('plan_id', 'in', planIds)
    .orderBy('country')
    .execute();
}

/** Plans by price then code: active ones only unless asked, covering `country` if given. */
export function listPlans(executor: Executor, filter: { country?: string; includeRetired?: boolean }) {
  let query = executor.selectFrom('plans').selectAll('plans').orderBy('plans.price').orderBy('plans.code');
  if (!filter.includeRetired) query = query.where('plans.status', '=', 'active');
  if (filter.country) {
    query = query.where(
      'plans.id',
      'in',
      executor.selectFrom('plan_countries').select('plan_id').where('country', '=', filter.country),
    );
  }
  return query.execute();
}

export function findPlan(executor: Executor, planId: string) {
  return executor.selectFrom('plans').selectAll().where('id', '=', planId).executeTakeFirst();
}

export function findPlanIdByCode(executor: Executor, code: string) {
  return executor.selectFrom('plans').select('id').where('code', '=', code).executeTakeFirst();
}

/** Whether the catalog has any plan at all. */
export function anyPlan(executor: Executor) {
  return executor.selectFrom('plans').select('id').limit(1).executeTakeFirst();
}

export async function insertPlan(executor: Executor, plan: Insertable<PlansTable>): Promise<void> {
  await executor.insertInto('plans').values(plan).execute();
}

export async function updatePlanColumns(
  executor: Executor,
  planId: string,
  columns: PlanColumns,
  now: string,
): Promise<void> {
  await executor
    .updateTable('plans')
    .set({ ...columns, updated_at: now })
    .where('id', '=', planId)
    .execute();
}

export async function retirePlan(executor: Executor, planId: string, now: string): Promise<void> {
  await executor
    .updateTable('plans')
    .set({ status: 'retired', updated_at: now })
    .where('id', '=', planId)
    .execute();
}

export async function insertPlanCountries(executor: Executor, planId: string, countries: string[]) {
  await executor
    .insertInto('plan_countries')
    .values(countries.map((country) => ({ plan_id: planId, country })))
    .execute();
}

export async function deletePlanCountries(executor: Executor, planId: string): Promise<void> {
  await executor.deleteFrom('plan_countries').where('plan_id', '=', planId).execute();
}
