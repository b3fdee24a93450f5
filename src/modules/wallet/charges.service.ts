import type { Executor } from '../../db/database.js';
import { type Ledger, ledgerAccountId } from './ledger.js';
import type { WalletCore } from './wallet.core.js';

/** What other modules take from the wallet (orders) and give back, inside their own transactions. */
export function createCharges(deps: { core: WalletCore; ledger: Pick<Ledger, 'ensureAccount' | 'post'> }) {
  const { ledger } = deps;
  const { currency, walletId } = deps.core;

  /** Pays for an order from the wallet inside the caller's transaction (409 INSUFFICIENT_BALANCE). */
  async function charge(
    tx: Executor,
    accountId: string,
    amount: number,
    reference: { type: string; id: string },
  ) {
    await ledger.ensureAccount(tx, 'revenue', currency);
    return ledger.post(tx, {
      debit: walletId(accountId),
      credit: ledgerAccountId('revenue', currency),
      amount,
      currency,
      kind: 'purchase',
      reference,
    });
  }

  /** Gives back what `charge` took, when the order could not be fulfilled; shown as a refund in the statement. */
  async function reverseCharge(
    tx: Executor,
    accountId: string,
    amount: number,
    reference: { type: string; id: string },
  ) {
    const wallet = await ledger.ensureAccount(tx, 'wallet', currency, accountId);
    return ledger.post(tx, {
      debit: ledgerAccountId('revenue', currency),
      credit: wallet,
      amount,
      currency,
      kind: 'purchase_reversal',
      reference,
    });
  }

  return { charge, reverseCharge };
}
