import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db, Executor } from '../src/db/database.js';
import { bulkInsert, prepared, together } from '../src/db/prepared.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';

// On SQLite, transactions that queue for the one connection commit together (src/db/sqlite-driver.ts);
// these checks hold for that and for PostgreSQL's own transactions alike: a caller is told its
// transaction committed exactly when its work is there, and nobody reads what is not committed.

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A promise and the function that settles it. */
function signal() {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

async function probeRows(db: Db): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select id from tx_probe order by id`.execute(db);
  return rows.map((row) => row.id);
}

describeEachDialect('transactions', (dialect) => {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    db = t.database.db;
    await sql`create table tx_parent (id varchar(40) primary key)`.execute(db);
    await sql`create table tx_probe (id varchar(40) primary key, parent_id varchar(40) references tx_parent (id) deferrable initially deferred)`.execute(
      db,
    );
  });
  afterAll(() => t?.drop());

  it('commits or rolls back each of many concurrent transactions on its own', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, n) =>
        db.transaction().execute(async (tx) => {
          await sql`insert into tx_probe (id) values (${`c${String(n).padStart(2, '0')}`})`.execute(tx);
          await tick();
          await sql`insert into tx_probe (id) values (${`d${String(n).padStart(2, '0')}`})`.execute(tx);
          if (n % 3 === 0) throw new Error(`transaction ${n} gives up`);
          return n;
        }),
      ),
    );
    const kept = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(kept).toEqual(Array.from({ length: 30 }, (_, n) => n).filter((n) => n % 3 !== 0));
    const rows = await probeRows(db);
    const expected = kept.flatMap((n) => [
      `c${String(n).padStart(2, '0')}`,
      `d${String(n).padStart(2, '0')}`,
    ]);
    expect(rows.filter((id) => /^[cd]/.test(id))).toEqual(expected.sort());
  });

  it('never lets a plain read see the work of a transaction that is still running or fails', async () => {
    const gate = signal();
    const inside = signal();
    const failing = db.transaction().execute(async (tx) => {
      await sql`insert into tx_probe (id) values ('r-failing')`.execute(tx);
      inside.fire();
      await gate.promise;
      throw new Error('rolled back on purpose');
    });
    await inside.promise;
    const read = probeRows(db);
    const after = db.transaction().execute(async (tx) => {
      await sql`insert into tx_probe (id) values ('r-after')`.execute(tx);
    });
    await tick();
    gate.fire();
    await expect(failing).rejects.toThrow('rolled back on purpose');
    expect(await read).not.toContain('r-failing');
    await after;
    const rows = await probeRows(db);
    expect(rows).toContain('r-after');
    expect(rows).not.toContain('r-failing');
  });

  it('never lets a prepared read see a running transaction either', async () => {
    // On SQLite a statement compiled once may run at once, skipping the wait for the connection:
    // only while no transaction holds it.
    const keyById = prepared((executor: Executor, id: string) =>
      executor.selectFrom('service_keys').select('id').where('id', '=', id),
    );
    const gate = signal();
    const inside = signal();
    const failing = db.transaction().execute(async (tx) => {
      await tx
        .insertInto('service_keys')
        .values({
          id: 'key_uncommitted',
          name: 'probe',
          key_hash: 'h-probe',
          created_at: new Date().toISOString(),
        })
        .execute();
      expect(await keyById(tx, 'key_uncommitted')).toHaveLength(1);
      inside.fire();
      await gate.promise;
      throw new Error('rolled back on purpose');
    });
    await inside.promise;
    const read = keyById(db, 'key_uncommitted');
    await tick();
    gate.fire();
    await expect(failing).rejects.toThrow('rolled back on purpose');
    expect(await read).toEqual([]);
  });

  it('answers a caller "committed" only when its work is there, even when a commit fails', async () => {
    // A child whose parent never appears breaks a deferred foreign key: the commit itself fails.
    const gate = signal();
    const broken = db.transaction().execute(async (tx) => {
      await sql`insert into tx_probe (id, parent_id) values ('f-broken', 'nobody')`.execute(tx);
      await gate.promise;
    });
    const queued = Array.from({ length: 5 }, (_, n) =>
      db.transaction().execute(async (tx) => {
        await sql`insert into tx_probe (id) values (${`f-${n}`})`.execute(tx);
        return `f-${n}`;
      }),
    );
    await tick();
    gate.fire();
    const outcomes = await Promise.allSettled([broken, ...queued]);
    expect(outcomes[0]!.status).toBe('rejected');
    const rows = await probeRows(db);
    expect(rows).not.toContain('f-broken');
    for (const [n, outcome] of outcomes.slice(1).entries()) {
      // Acknowledged if and only if present.
      expect(rows.includes(`f-${n}`)).toBe(outcome.status === 'fulfilled');
    }
    // The connection is whole afterwards: the next transaction commits.
    await db.transaction().execute(async (tx) => {
      await sql`insert into tx_probe (id) values ('f-next')`.execute(tx);
    });
    expect(await probeRows(db)).toContain('f-next');
  });

  // On PostgreSQL a write the caller does not wait for is sent with what follows (one round trip);
  // these hold on both databases: it is seen by what comes after it, and its failure fails the
  // transaction as a waited-for write would — at the latest at the commit — with nothing kept.
  const insertKey = bulkInsert('service_keys', ['id', 'name', 'key_hash', 'created_at']);
  const keyById = prepared((executor: Executor, id: string) =>
    executor.selectFrom('service_keys').select('id').where('id', '=', id),
  );
  const key = (id: string) => ({
    id,
    name: 'probe',
    key_hash: `h-${id}`,
    created_at: new Date().toISOString(),
  });

  it('lets what follows a write sent without waiting see it, and commits it', async () => {
    const seen = await db.transaction().execute(async (tx) => {
      await insertKey.later(tx, [key('key_later_1')]);
      await insertKey.later(tx, [key('key_later_2')]);
      return together(keyById(tx, 'key_later_1'), keyById(tx, 'key_later_2'));
    });
    expect(seen).toEqual([[{ id: 'key_later_1' }], [{ id: 'key_later_2' }]]);
    expect(await keyById(db, 'key_later_2')).toHaveLength(1);
  });

  it('fails the transaction with the error of a write sent without waiting, keeping nothing', async () => {
    await insertKey(db, [key('key_taken')]);
    const duplicate = db.transaction().execute(async (tx) => {
      await insertKey(tx, [key('key_before_duplicate')]);
      // A second row with the same primary key: reported by the commit at the latest.
      await insertKey.later(tx, [key('key_taken')]);
      return 'committed';
    });
    await expect(duplicate).rejects.toThrow(/unique|duplicate/i);
    const failedRead = db.transaction().execute(async (tx) => {
      await insertKey.later(tx, [key('key_taken')]);
      // The next statement waited for reports the failure, not some later one.
      await keyById(tx, 'key_taken');
      throw new Error('not reached');
    });
    await expect(failedRead).rejects.toThrow(/unique|duplicate/i);
    expect(await keyById(db, 'key_before_duplicate')).toEqual([]);
    // The connection is whole afterwards.
    await db.transaction().execute((tx) => insertKey.later(tx, [key('key_after_duplicate')]));
    expect(await keyById(db, 'key_after_duplicate')).toHaveLength(1);
  });

  it('reports the first failure of statements started together in the order they were started', async () => {
    const first = new Error('first');
    const late = new Promise<never>((_, reject) => setTimeout(() => reject(first), 20));
    const early = Promise.reject(new Error('second'));
    await expect(together(late, early)).rejects.toBe(first);
    await expect(together(keyById(db, 'key_taken'), Promise.resolve(2))).resolves.toEqual([
      [{ id: 'key_taken' }],
      2,
    ]);
  });
});
