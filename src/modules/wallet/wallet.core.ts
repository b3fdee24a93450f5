import { AppError } from '../../core/errors.js';
import type { MoneyValue } from '../../core/money.js';
import type { Executor } from '../../db/database.js';
import { type Ledger, ledgerAccountId } from './ledger.js';
import { type Party, party } from './stores/transfers.store.js';

/** What every part of the wallet shares: its currency, the ids of its ledger accounts, its checks. */
export function createWalletCore(deps: { currency: string; ledger: Pick<Ledger, 'ensureAccount'> }) {
  const { currency, ledger } = deps;
  const money = (amount: number): MoneyValue => ({ amount, currency });
  const walletId = (accountId: string) => ledgerAccountId('wallet', currency, accountId);
  const arrearsId = (accountId: string) => ledgerAccountId('arrears', currency, accountId);

  async function ensureWallet(tx: Executor, accountId: string): Promise<string> {
    await ledger.ensureAccount(tx, 'clearing', currency);
    await ledger.ensureAccount(tx, 'refunds_payable', currency);
    return ledger.ensureAccount(tx, 'wallet', currency, accountId);
  }

  function checkCurrency(value: MoneyValue): void {
    if (value.currency !== currency)
      throw new AppError('CURRENCY_MISMATCH', { field: 'amount.currency', expected: currency }, { currency });
  }

  return { currency, money, walletId, arrearsId, ensureWallet, checkCurrency };
}

export type WalletCore = ReturnType<typeof createWalletCore>;

export function activeParty(account: Party | undefined, accountId: string): Party {
  if (!account) throw new Error(`account ${accountId} does not exist`);
  if (account.status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status: account.status });
  return account;
}

/** The account, which must be active (409 ACCOUNT_NOT_ACTIVE). */
export async function activeAccount(tx: Executor, accountId: string): Promise<Party> {
  return activeParty(await party(tx, accountId), accountId);
}
