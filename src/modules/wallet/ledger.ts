import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { LedgerAccountKind } from '../../db/schema.js';
import * as store from './stores/ledger.store.js';

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
export function createLedger(deps: { clock: Clock }) {
  const { clock } = deps;

  async function ensureAccount(
    tx: Executor,
    kind: LedgerAccountKind,
    currency: string,
    ownerId: string | null = null,
  ): Promise<string> {
    const id = ledgerAccountId(kind, currency, ownerId);
    await store.openAccount(tx, { id, kind, ownerId, currency }, clock.now().toISOString());
    return id;
  }

  async function post(tx: Executor, input: PostingInput) {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
      throw new Error(`posting amount ${input.amount} is not a positive integer`);
    const now = clock.now().toISOString();
    const open = input.openCredit;
    const { debited, credited } = await store.debitAndCredit(
      tx,
      {
        debit: input.debit,
        credit: input.credit,
        amount: input.amount,
        currency: input.currency,
        openCredit: open && {
          id: ledgerAccountId(open.kind, input.currency, open.ownerId),
          kind: open.kind,
          ownerId: open.ownerId,
        },
      },
      now,
    );
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
    await store.recordPosting(tx, posting);
    return posting;
  }

  /**
   * Recomputes every balance from the postings and compares it with the maintained one; also checks
   * that everything sums to zero per currency and that no wallet is negative. Empty means consistent.
   */
  async function verify(db: Db): Promise<string[]> {
    const problems: string[] = [];
    const sums = await store.balancesWithPostings(db);
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

  return { ensureAccount, post, balance: store.balance, verify };
}

export type Ledger = ReturnType<typeof createLedger>;
