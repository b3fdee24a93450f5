import type { Clock } from '../../core/clock.js';
import { idTime } from '../../core/ids.js';
import type { MoneyValue } from '../../core/money.js';
import { decodeCursor, page } from '../../core/pagination.js';
import type { Db } from '../../db/database.js';
import type { Ledger, PostingKind } from './ledger.js';
import * as ledgerStore from './stores/ledger.store.js';
import type { WalletCore } from './wallet.core.js';

export const STATEMENT_KINDS = [
  'topup',
  'purchase',
  'usage',
  'transfer_in',
  'transfer_out',
  'refund',
  'adjustment',
  'forfeit',
  'write_off',
  'arrears_payment',
] as const;
export type StatementKind = (typeof STATEMENT_KINDS)[number];

export interface StatementFilter {
  kind?: StatementKind;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

/** The postings a statement kind stands for, and on which side of the wallet. */
function postingsOfKind(kind: StatementKind | undefined): {
  kinds?: readonly PostingKind[];
  side?: 'debit' | 'credit';
} {
  switch (kind) {
    case undefined:
      return {};
    case 'transfer_in':
      return { kinds: ['transfer'], side: 'credit' };
    case 'transfer_out':
      return { kinds: ['transfer'], side: 'debit' };
    case 'refund':
      return { kinds: ['refund', 'refund_reversal', 'purchase_reversal'] };
    default:
      return { kinds: [kind] };
  }
}

/** How old postings must be before a statement page of them may be read on a replica. */
export const SETTLED_HISTORY_MS = 60_000;

/**
 * Whether every posting a statement page can list is older than a minute: a page ending (`to`) or
 * continuing (the cursor, a time-sortable id) before then. Such a page may be read on a replica; the
 * newest page, what a subscriber checks after moving money, is always read on the primary.
 */
export function isSettledHistory(filter: Pick<StatementFilter, 'to'>, before: string | undefined, now: Date) {
  const settled = now.getTime() - SETTLED_HISTORY_MS;
  const to = filter.to === undefined ? Number.POSITIVE_INFINITY : Date.parse(filter.to);
  const cursor =
    before === undefined ? Number.POSITIVE_INFINITY : (idTime(before) ?? Number.POSITIVE_INFINITY);
  return Math.min(to, cursor) < settled;
}

/** The wallet's balance and statement. */
export function createStatements(deps: {
  db: Db;
  clock: Clock;
  ledger: Pick<Ledger, 'balance'>;
  core: WalletCore;
  /** Reads on a replica when one answers (Database.reading); the primary otherwise. */
  reading?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}) {
  const { db, ledger } = deps;
  const reading = deps.reading ?? (<T>(fn: (on: Db) => Promise<T>) => fn(db));
  const { money, walletId } = deps.core;

  async function balance(accountId: string): Promise<MoneyValue> {
    return money(await ledger.balance(db, walletId(accountId)));
  }

  /** Postings of the wallet, newest first, each with the signed amount and the balance after it. */
  async function statement(accountId: string, filter: StatementFilter) {
    const wallet = walletId(accountId);
    const before = decodeCursor(filter.cursor);
    const query = (on: Db) =>
      ledgerStore.postingsOf(on, wallet, {
        limit: filter.limit,
        before,
        from: filter.from,
        to: filter.to,
        ...postingsOfKind(filter.kind),
      });
    const rows = isSettledHistory(filter, before, deps.clock.now()) ? await reading(query) : await query(db);
    const result = page(rows, filter.limit);
    return {
      nextCursor: result.nextCursor,
      items: result.items.map((p) => {
        const incoming = p.credit_id === wallet;
        const kind: StatementKind =
          p.kind === 'transfer'
            ? incoming
              ? 'transfer_in'
              : 'transfer_out'
            : p.kind === 'refund_reversal' || p.kind === 'purchase_reversal'
              ? 'refund'
              : (p.kind as StatementKind);
        return {
          id: p.id,
          kind,
          amount: money(incoming ? Number(p.amount) : -Number(p.amount)),
          balanceAfter: money(Number(incoming ? p.credit_balance_after : p.debit_balance_after)),
          reference: p.reference_id,
          createdAt: p.created_at,
        };
      }),
    };
  }

  return { balance, statement };
}
