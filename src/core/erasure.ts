import type { Executor } from '../db/database.js';
import type { Table } from '../db/ownership.js';

/** What is erased from every place personal data was kept: a stand-in for free text. */
export const ERASED = '[erased]';

/** The person being erased: their account and the addresses (email, phone) it had. */
export interface ErasureSubject {
  accountId: string;
  addresses: string[];
}

/**
 * One module's part of the retention erasure: it scrubs the personal columns of the tables it owns
 * (`tables`, each of which it must own, see test/erasure.test.ts), inside the erasure's transaction,
 * and returns files to delete once that has committed.
 */
export interface ErasureContributor {
  owner: string;
  tables: readonly Table[];
  /** What the audit entry lists as erased (never the values). */
  label: string;
  erase(tx: Executor, subject: ErasureSubject): Promise<string[] | undefined>;
}
