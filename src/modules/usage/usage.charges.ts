import { newId } from '../../core/ids.js';
import type { Tx } from '../../db/database.js';
import type { LinesTable, UsageRecordsTable } from '../../db/schema.js';
import { saveRatedAllowances } from '../lines/stores/lines.store.js';
import type { Ledger, PostingInput } from '../wallet/ledger.js';

/** Posting what rating decided: the lines' allowances left and the charges, to the ledger. */
export function createUsageCharges(deps: {
  currency: string;
  ledger: Pick<Ledger, 'ensureAccount' | 'post' | 'balance'>;
}) {
  const { currency, ledger } = deps;

  /**
   * After `rows` were written: saves the allowances rating left on `lines` and charges each account
   * the sum of its records' charges, under the first record's id (the batch).
   */
  async function settle(tx: Tx, lines: Iterable<LinesTable>, rows: UsageRecordsTable[], now: Date) {
    const charges = new Map<string, number>();
    for (const row of rows)
      if (row.charge > 0) charges.set(row.account_id, (charges.get(row.account_id) ?? 0) + row.charge);
    for (const line of lines) await saveRatedAllowances(tx, line, now.toISOString());
    const batchId = rows[0]?.id ?? newId('usg');
    for (const [accountId, amount] of charges) await charge(tx, accountId, amount, batchId);
  }

  /** One usage posting in the operator currency, under the batch or rerate it belongs to. */
  function post(
    tx: Tx,
    reference: NonNullable<PostingInput['reference']>,
    move: Omit<PostingInput, 'currency' | 'reference'>,
  ) {
    return ledger.post(tx, { ...move, currency, reference });
  }

  /** The wallet pays what it can; the rest becomes arrears (a receivable), never a negative wallet. */
  async function charge(
    tx: Tx,
    accountId: string,
    amount: number,
    batchId: string,
    referenceType: 'usage_batch' | 'usage_rerate' = 'usage_batch',
  ) {
    const wallet = await ledger.ensureAccount(tx, 'wallet', currency, accountId);
    const revenue = await ledger.ensureAccount(tx, 'revenue', currency);
    const balance = await ledger.balance(tx, wallet);
    const fromWallet = Math.min(balance, amount);
    const reference = { type: referenceType, id: batchId };
    if (fromWallet > 0)
      await post(tx, reference, { debit: wallet, credit: revenue, amount: fromWallet, kind: 'usage' });
    if (amount > fromWallet) {
      const arrears = await ledger.ensureAccount(tx, 'arrears', currency, accountId);
      await post(tx, reference, {
        debit: arrears,
        credit: revenue,
        amount: amount - fromWallet,
        kind: 'arrears',
      });
    }
  }

  /** Money rating took that it should not have: it first pays off arrears, the rest goes to the wallet. */
  async function giveBack(tx: Tx, accountId: string, amount: number, rerateId: string) {
    const revenue = await ledger.ensureAccount(tx, 'revenue', currency);
    const reference = { type: 'usage_rerate', id: rerateId };
    const arrears = await ledger.ensureAccount(tx, 'arrears', currency, accountId);
    const owed = -(await ledger.balance(tx, arrears));
    const toArrears = Math.min(Math.max(owed, 0), amount);
    if (toArrears > 0)
      await post(tx, reference, { debit: revenue, credit: arrears, amount: toArrears, kind: 'arrears' });
    if (amount > toArrears) {
      const wallet = await ledger.ensureAccount(tx, 'wallet', currency, accountId);
      await post(tx, reference, {
        debit: revenue,
        credit: wallet,
        amount: amount - toArrears,
        kind: 'usage',
      });
    }
  }

  return { settle, charge, giveBack };
}

export type UsageCharges = ReturnType<typeof createUsageCharges>;
