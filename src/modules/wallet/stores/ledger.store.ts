import { sql } from 'kysely';
import { AppError } from '../../../core/errors.js';
import type { Db, Executor } from '../../../db/database.js';
import { bulkInsert, prepared, together } from '../../../db/prepared.js';
import type { LedgerAccountKind, LedgerPostingsTable } from '../../../db/schema.js';
import type { PostingKind } from '../ledger.js';

// The ledger's tables (ledger_accounts, ledger_postings). Every movement of money runs the statements
// below; each is built and compiled once (see prepared).

/** A balance is read on every wallet request, so the query is prepared. */
const balanceOf = prepared((executor: Executor, accountId: string) =>
  executor.selectFrom('ledger_accounts').select('balance').where('id', '=', accountId),
);

const insertAccount = prepared(
  (
    tx: Executor,
    id: string,
    kind: LedgerAccountKind,
    ownerId: string | null,
    currency: string,
    now: string,
  ) =>
    tx
      .insertInto('ledger_accounts')
      .values({ id, kind, owner_id: ownerId, currency, balance: 0, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing()),
);
/** Takes `amount` from an account; a wallet only if it holds that much (no row comes back otherwise). */
const debit = prepared((tx: Executor, id: string, currency: string, amount: number, now: string) =>
  tx
    .updateTable('ledger_accounts')
    .set((eb) => ({ balance: eb('balance', '-', amount), updated_at: now }))
    .where('id', '=', id)
    .where('currency', '=', currency)
    .where((eb) => eb.or([eb('kind', '!=', 'wallet'), eb('balance', '>=', amount)]))
    .returning(['balance']),
);
const credit = prepared((tx: Executor, id: string, currency: string, amount: number, now: string) =>
  tx
    .updateTable('ledger_accounts')
    .set((eb) => ({ balance: eb('balance', '+', amount), updated_at: now }))
    .where('id', '=', id)
    .where('currency', '=', currency)
    .returning(['balance']),
);
const insertPosting = bulkInsert('ledger_postings', [
  'id',
  'debit_id',
  'credit_id',
  'amount',
  'currency',
  'kind',
  'reference_type',
  'reference_id',
  'debit_balance_after',
  'credit_balance_after',
  'memo',
  'created_at',
]);

/** The maintained balance of a ledger account (0 for one that has no row yet). */
export async function balance(executor: Executor, accountId: string): Promise<number> {
  const [row] = await balanceOf(executor, accountId);
  return Number(row?.balance ?? 0);
}

/** Opens a ledger account at zero; one that exists already is left as it is. */
export async function openAccount(
  tx: Executor,
  account: { id: string; kind: LedgerAccountKind; ownerId: string | null; currency: string },
  now: string,
): Promise<void> {
  await insertAccount(tx, account.id, account.kind, account.ownerId, account.currency, now);
}

/**
 * Moves `amount` from one account's maintained balance to another's and answers both balances after
 * it. 409 INSUFFICIENT_BALANCE when the debit is a wallet holding less (or no wallet yet),
 * CURRENCY_MISMATCH when the debit account keeps another currency. A credit account missing in that
 * currency is opened first when `openCredit` names it.
 */
export async function debitAndCredit(
  tx: Executor,
  move: {
    debit: string;
    credit: string;
    amount: number;
    currency: string;
    openCredit?: { id: string; kind: LedgerAccountKind; ownerId: string | null };
  },
  now: string,
): Promise<{ debited: { balance: number }; credited: { balance: number } }> {
  async function takeDebit() {
    const [debited] = await debit(tx, move.debit, move.currency, move.amount, now);
    if (debited) return debited;
    const exists = await tx
      .selectFrom('ledger_accounts')
      .select(['kind', 'currency'])
      .where('id', '=', move.debit)
      .executeTakeFirst();
    // A wallet that never received money has no row yet: it simply has nothing to give.
    if (!exists && move.debit.startsWith('lac_wallet_')) throw new AppError('INSUFFICIENT_BALANCE');
    if (!exists) throw new Error(`ledger account ${move.debit} does not exist`);
    if (exists.currency !== move.currency)
      throw new AppError('CURRENCY_MISMATCH', {}, { currency: exists.currency });
    throw new AppError('INSUFFICIENT_BALANCE');
  }

  async function giveCredit() {
    let [credited] = await credit(tx, move.credit, move.currency, move.amount, now);
    const open = move.openCredit;
    if (!credited && open && open.id === move.credit) {
      await insertAccount(tx, move.credit, open.kind, open.ownerId, move.currency, now);
      [credited] = await credit(tx, move.credit, move.currency, move.amount, now);
    }
    if (!credited) throw new Error(`ledger account ${move.credit} does not exist in ${move.currency}`);
    return credited;
  }

  // Each update locks its balance row (PostgreSQL); taking the two in id order means two opposite
  // transfers cannot deadlock. They are sent together and run in the order sent. SQLite
  // transactions already hold the single write lock.
  let debited: { balance: number };
  let credited: { balance: number };
  if (move.credit < move.debit) [credited, debited] = await together(giveCredit(), takeDebit());
  else [debited, credited] = await together(takeDebit(), giveCredit());
  return { debited, credited };
}

/**
 * Records a posting. Nothing reads the row back: the transaction's next statement or its commit
 * reports a failure (see prepared's `later`).
 */
export async function recordPosting(tx: Executor, posting: LedgerPostingsTable): Promise<void> {
  await insertPosting.later(tx, [posting]);
}

/**
 * Holds the account's balance row until the transaction ends (PostgreSQL: every other movement of
 * it waits; SQLite transactions hold the single write lock already).
 */
export async function lockAccount(tx: Executor, accountId: string): Promise<void> {
  await sql`select 1 from ledger_accounts where id = ${accountId} for update`.execute(tx);
}

/** A page of the postings of one account, newest first (one row more than `limit` when more follow). */
export async function postingsOf(
  executor: Executor,
  accountId: string,
  filter: {
    limit: number;
    /** Postings with a smaller id than this one. */
    before?: string;
    from?: string;
    to?: string;
    kinds?: readonly PostingKind[];
    /** Only postings that take from (debit) or give to (credit) the account. */
    side?: 'debit' | 'credit';
  },
) {
  let query = executor
    .selectFrom('ledger_postings')
    .selectAll()
    .where((eb) => eb.or([eb('debit_id', '=', accountId), eb('credit_id', '=', accountId)]))
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.before) query = query.where('id', '<', filter.before);
  if (filter.from) query = query.where('created_at', '>=', filter.from);
  if (filter.to) query = query.where('created_at', '<', filter.to);
  if (filter.kinds?.length === 1) query = query.where('kind', '=', filter.kinds[0]!);
  else if (filter.kinds) query = query.where('kind', 'in', filter.kinds);
  if (filter.side === 'credit') query = query.where('credit_id', '=', accountId);
  if (filter.side === 'debit') query = query.where('debit_id', '=', accountId);
  return query.execute();
}

/** Every ledger account with its maintained balance and the sums of its postings on either side. */
export async function balancesWithPostings(db: Db) {
  return db
    .selectFrom('ledger_accounts as a')
    .select([
      'a.id',
      'a.kind',
      'a.currency',
      'a.balance',
      sql<number>`coalesce((select sum(p.amount) from ledger_postings p where p.credit_id = a.id), 0)`.as(
        'credits',
      ),
      sql<number>`coalesce((select sum(p.amount) from ledger_postings p where p.debit_id = a.id), 0)`.as(
        'debits',
      ),
    ])
    .execute();
}
