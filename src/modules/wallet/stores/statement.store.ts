import type { Executor } from '../../../db/database.js';

// What statement lines are about (see statement-words.ts): read-only, across the tables postings name.

/** The postings with these ids, with what they reference. */
export async function postingsByIds(executor: Executor, ids: string[]) {
  return executor
    .selectFrom('ledger_postings')
    .select(['id', 'kind', 'debit_id', 'credit_id', 'reference_type', 'reference_id'])
    .where('id', 'in', ids)
    .execute();
}

/** The owners of the wallets among these ledger accounts. */
export async function walletOwners(executor: Executor, ledgerAccountIds: string[]) {
  return executor
    .selectFrom('ledger_accounts')
    .select(['id', 'owner_id'])
    .where('kind', '=', 'wallet')
    .where('id', 'in', ledgerAccountIds)
    .execute();
}

/** How to reach these accounts (to show the other side of a transfer, masked). */
export async function contactsOf(executor: Executor, accountIds: string[]) {
  return executor
    .selectFrom('accounts')
    .select(['id', 'email', 'phone'])
    .where('id', 'in', accountIds)
    .execute();
}

/** The plan names (JSON by locale) of the subscriber's lines among these. */
export async function planNamesOfLines(executor: Executor, accountId: string, lineIds: string[]) {
  return executor
    .selectFrom('lines')
    .innerJoin('plans', 'plans.id', 'lines.plan_id')
    .select(['lines.id', 'plans.names'])
    .where('lines.id', 'in', lineIds)
    .where('lines.account_id', '=', accountId)
    .execute();
}

/** The add-on names (JSON by locale) of these line add-ons. */
export async function addonNames(executor: Executor, lineAddonIds: string[]) {
  return executor
    .selectFrom('line_addons')
    .innerJoin('addons', 'addons.id', 'line_addons.addon_id')
    .select(['line_addons.id', 'addons.names'])
    .where('line_addons.id', 'in', lineAddonIds)
    .execute();
}
