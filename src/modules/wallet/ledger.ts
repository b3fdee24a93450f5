import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import { bulkInsert, prepared, together } from '../../db/prepared.js';
import type { LedgerAccountKind } from '../../db/schema.js';

/** Posting kinds. Wallet statements show transfer as transfer_in / transfer_out by side. */
export type PostingKind =
  | 'topup'
  | 'purchase'
  | 'usage'
  | 'transfer'
  | 'refund'
  | 'refund_reversal'
  | 'purchase_reversal'
  | 'refund_settled'
  | 'adjustment'
  | 'arrears'
  /** What the subscriber gave up, wallet → the operator's forfeited balances account. */
  | 'forfeit'
  /** A staff debit of the wallet (the goodwill credit's mirror), wallet → adjustments. */
  | 'write_off'
  /** The wallet paying what usage charged beyond it, wallet → arrears. */
  | 'arrears_payment'
  /** Staff cancelling arrears of a closing account, adjustments → arrears. */
  | 'arrears_waiver';

export interface PostingInput {
  debit: string;
  credit: string;
  amount: number;
  currency: string;
  kind: PostingKind;
  reference?: { type: string; id: string };
  memo?: string;
  /** Opens the credit account (of this kind and owner) if it has no row yet, e.g. a first transfer in. */
  openCredit?: { kind: LedgerAccountKind; ownerId: string | null };
}

/** Ledger accounts have deterministic ids, so creating one twice (even concurrently) is harmless. */
export function ledgerAccountId(
  kind: LedgerAccountKind,
  currency: string,
  ownerId: string | null = null,
): string {
  return `lac_${kind}_${currency}${ownerId ? `_${ownerId}` : ''}`;
}

/**
 * Double-entry ledger: every posting moves a positive amount from a debit account to a credit account
 * and updates both maintained balances in the caller's transaction. Balances are credits minus
 * debits, so all accounts together always sum to zero; wallets may never go below zero.
 */
/** A balance is read on every wallet request, so the query is prepared. */
const balanceOf = prepared((executor: Executor, accountId: string) =>
  executor.selectFrom('ledger_accounts').select('balance').where('id', '=', accountId),
);

// Every movement of money runs these; each is built and compiled once (see prepared).
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

export function createLedger(deps: { clock: Clock }) {
  const { clock } = deps;

  async function ensureAccount(
    tx: Executor,
    kind: LedgerAccountKind,
    currency: string,
    ownerId: string | null = null,
  ): Promise<string> {
    const id = ledgerAccountId(kind, currency, ownerId);
    const now = clock.now().toISOString();
    await insertAccount(tx, id, kind, ownerId, currency, now);
    return id;
  }

  async function post(tx: Executor, input: PostingInput) {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
      throw new Error(`posting amount ${input.amount} is not a positive integer`);
    const now = clock.now().toISOString();

    async function takeDebit() {
      const [debited] = await debit(tx, input.debit, input.currency, input.amount, now);
      if (debited) return debited;
      const exists = await tx
        .selectFrom('ledger_accounts')
        .select(['kind', 'currency'])
        .where('id', '=', input.debit)
        .executeTakeFirst();
      // A wallet that never received money has no row yet: it simply has nothing to give.
      if (!exists && input.debit.startsWith('lac_wallet_')) throw new AppError('INSUFFICIENT_BALANCE');
      if (!exists) throw new Error(`ledger account ${input.debit} does not exist`);
      if (exists.currency !== input.currency)
        throw new AppError('CURRENCY_MISMATCH', {}, { currency: exists.currency });
      throw new AppError('INSUFFICIENT_BALANCE');
    }

    async function giveCredit() {
      let [credited] = await credit(tx, input.credit, input.currency, input.amount, now);
      const open = input.openCredit;
      if (!credited && open && ledgerAccountId(open.kind, input.currency, open.ownerId) === input.credit) {
        await insertAccount(tx, input.credit, open.kind, open.ownerId, input.currency, now);
        [credited] = await credit(tx, input.credit, input.currency, input.amount, now);
      }
      if (!credited) throw new Error(`ledger account ${input.credit} does not exist in ${input.currency}`);
      return credited;
    }

    // Each update locks its balance row (PostgreSQL); taking the two in id order means two opposite
    // transfers cannot deadlock. They are sent together and run in the order sent. SQLite
    // transactions already hold the single write lock.
    let debited: { balance: number };
    let credited: { balance: number };
    if (input.credit < input.debit) [credited, debited] = await together(giveCredit(), takeDebit());
    else [debited, credited] = await together(takeDebit(), giveCredit());
    const posting = {
      id: newId('pst', clock.now().getTime()),
      debit_id: input.debit,
      credit_id: input.credit,
      amount: input.amount,
      currency: input.currency,
      kind: input.kind,
      reference_type: input.reference?.type ?? null,
      reference_id: input.reference?.id ?? null,
      debit_balance_after: Number(debited.balance),
      credit_balance_after: Number(credited.balance),
      memo: input.memo ?? null,
      created_at: now,
    };
    // Nothing reads the row back here; the transaction's next statement or its commit reports a failure.
    await insertPosting.later(tx, [posting]);
    return posting;
  }

  async function balance(executor: Executor, accountId: string): Promise<number> {
    const [row] = await balanceOf(executor, accountId);
    return Number(row?.balance ?? 0);
  }

  /**
   * Recomputes every balance from the postings and compares it with the maintained one; also checks
   * that everything sums to zero per currency and that no wallet is negative. Empty means consistent.
   */
  async function verify(db: Db): Promise<string[]> {
    const problems: string[] = [];
    const sums = await db
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
    const totals = new Map<string, number>();
    for (const row of sums) {
      const computed = Number(row.credits) - Number(row.debits);
      if (computed !== Number(row.balance))
        problems.push(`${row.id}: balance ${row.balance} but postings say ${computed}`);
      if (row.kind === 'wallet' && Number(row.balance) < 0)
        problems.push(`${row.id}: wallet is negative (${row.balance})`);
      totals.set(row.currency, (totals.get(row.currency) ?? 0) + Number(row.balance));
    }
    for (const [currency, total] of totals)
      if (total !== 0) problems.push(`${currency}: accounts sum to ${total}, not 0`);
    return problems;
  }

  return { ensureAccount, post, balance, verify };
}

export type Ledger = ReturnType<typeof createLedger>;
