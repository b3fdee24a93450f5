import { sql } from 'kysely';
import { type AnyDb, bigint, isPostgres, timestamp } from './util.js';

// Every balance can reach zero (issue 20):
// - ledger account kind 'forfeited': the operator's account for balances subscribers gave up. It is
//   never emptied or deleted: the money stays on the books, owed back if the operator decides so.
// - adjustments.kind: goodwill credits, staff write-offs of a balance and waivers of arrears share
//   one table, so the approval limit sums all three per agent and account over 24 hours.
// SQLite cannot change a CHECK constraint, so there ledger_accounts is rebuilt (its rows kept, the
// postings' references to it unchanged); migrations run outside a transaction on SQLite, which lets
// foreign keys be switched off for the rebuild as SQLite's documentation describes.

const KINDS = ['wallet', 'arrears', 'clearing', 'revenue', 'refunds_payable', 'adjustments'];

async function rebuildLedgerAccountsSqlite(db: AnyDb, kinds: string[]): Promise<void> {
  const allowed = sql.join(kinds.map((k) => sql.lit(k)));
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    // The migrator holds the one connection, so the transaction is begun on it by hand.
    await sql`begin immediate`.execute(db);
    try {
      const tx = db;
      await tx.schema
        .createTable('ledger_accounts_rebuilt')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.references('accounts.id'))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('balance', bigint(db), (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', timestamp(db), (c) => c.notNull())
        .addColumn('updated_at', timestamp(db), (c) => c.notNull())
        .addCheckConstraint('ledger_account_kind', sql`kind in (${allowed})`)
        .addCheckConstraint('wallet_not_negative', sql`kind <> 'wallet' or balance >= 0`)
        .addUniqueConstraint('ledger_account_owner', ['kind', 'owner_id', 'currency'])
        .execute();
      await sql`insert into ledger_accounts_rebuilt (id, kind, owner_id, currency, balance, created_at, updated_at)
        select id, kind, owner_id, currency, balance, created_at, updated_at from ledger_accounts`.execute(
        tx,
      );
      await tx.schema.dropTable('ledger_accounts').execute();
      await tx.schema.alterTable('ledger_accounts_rebuilt').renameTo('ledger_accounts').execute();
      const broken = await sql`pragma foreign_key_check`.execute(tx);
      if (broken.rows.length > 0) throw new Error('ledger_accounts rebuild broke a foreign key');
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

async function setKinds(db: AnyDb, kinds: string[]): Promise<void> {
  if (!isPostgres(db)) return rebuildLedgerAccountsSqlite(db, kinds);
  const allowed = sql.join(kinds.map((k) => sql.lit(k)));
  await sql`alter table ledger_accounts drop constraint ledger_account_kind`.execute(db);
  await sql`alter table ledger_accounts add constraint ledger_account_kind check (kind in (${allowed}))`.execute(
    db,
  );
}

export async function up(db: AnyDb): Promise<void> {
  await setKinds(db, [...KINDS, 'forfeited']);
  await db.schema
    .alterTable('adjustments')
    .addColumn('kind', 'text', (c) =>
      c.notNull().defaultTo('goodwill').check(sql`kind in ('goodwill', 'write_off', 'arrears_waiver')`),
    )
    .execute();
  // The approval limit reads one agent's adjustments of one account over the last 24 hours.
  await db.schema
    .createIndex('adjustments_by_account')
    .on('adjustments')
    .columns(['account_id', 'created_at'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('adjustments_by_account').execute();
  await db.schema.alterTable('adjustments').dropColumn('kind').execute();
  await setKinds(db, KINDS);
}
