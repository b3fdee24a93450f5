import { Migrator, NO_MIGRATIONS } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/db/database.js';
import { migrateToLatest, schemaVersion } from '../src/db/migrate.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { createTestDatabase, DIALECTS, describeEachDialect, type TestDatabase } from './helpers/db.js';

type Shape = Record<string, string[]>;

// PostgreSQL only (0022): usage_records' monthly and default partitions, and the record ids that a
// partitioned table cannot keep unique itself. The partitioned usage_records is compared as usual.
const POSTGRES_ONLY = /^usage_records_(\d{4}_\d{2}|default)$|^usage_record_keys$/;

async function shapeOf(t: TestDatabase): Promise<Shape> {
  const tables = await t.database.db.introspection.getTables();
  return Object.fromEntries(
    tables
      .filter((table) => !table.name.startsWith('kysely_') && !POSTGRES_ONLY.test(table.name))
      .map((table) => [table.name, table.columns.map((c) => c.name).sort()])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

const shapes = new Map<Dialect, Shape>();
const versions = new Map<Dialect, string | null>();

describeEachDialect('migrations', (dialect) => {
  let t: TestDatabase;
  afterAll(() => t?.drop());

  it('migrate an empty database to the latest version, up and down and up again', async () => {
    t = await createTestDatabase(dialect, { migrate: false });
    expect((await schemaVersion(t.database.db)).current).toBeNull();
    const { applied } = await migrateToLatest(t.database.db);
    expect(applied).toEqual(Object.keys(MIGRATIONS));
    const version = await schemaVersion(t.database.db);
    expect(version.pending).toEqual([]);
    expect(version.current).toBe(version.latest);

    const migrator = new Migrator({ db: t.database.db, provider: { getMigrations: async () => MIGRATIONS } });
    const down = await migrator.migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(await shapeOf(t)).toEqual({});
    expect((await migrateToLatest(t.database.db)).applied).toEqual(Object.keys(MIGRATIONS));
    shapes.set(dialect, await shapeOf(t));
    versions.set(dialect, version.current);
  });

  it('0012 keeps every job and still refuses a second job with the same idempotency key', async () => {
    const jobs = await createTestDatabase(dialect, { migrate: false });
    try {
      const { db } = jobs.database;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('0011-jobs-kind-index')).error).toBeUndefined();
      const now = new Date().toISOString();
      const job = (id: string, key: string | null) => ({
        id,
        kind: 'probe',
        payload: '{}',
        status: 'queued' as const,
        run_at: now,
        attempts: 0,
        max_attempts: 3,
        idempotency_key: key,
        created_at: now,
        updated_at: now,
      });
      await db
        .insertInto('jobs')
        .values([job('job_a', 'key-1'), job('job_b', null), job('job_c', null)])
        .execute();
      const names = Object.keys(MIGRATIONS);
      expect((await migrateToLatest(db)).applied).toEqual(
        names.slice(names.indexOf('0012-leaner-money-writes')),
      );
      const kept = await db.selectFrom('jobs').select(['id', 'idempotency_key']).orderBy('id').execute();
      expect(kept).toEqual([
        { id: 'job_a', idempotency_key: 'key-1' },
        { id: 'job_b', idempotency_key: null },
        { id: 'job_c', idempotency_key: null },
      ]);
      await db.insertInto('jobs').values(job('job_d', null)).execute();
      await expect(db.insertInto('jobs').values(job('job_e', 'key-1')).execute()).rejects.toThrow(
        /unique|duplicate/i,
      );
      // Down again: the rows stay and the key is unique as before.
      expect((await migrator.migrateTo('0011-jobs-kind-index')).error).toBeUndefined();
      expect(await db.selectFrom('jobs').select('id').orderBy('id').execute()).toHaveLength(4);
      await expect(db.insertInto('jobs').values(job('job_f', 'key-1')).execute()).rejects.toThrow(
        /unique|duplicate/i,
      );
    } finally {
      await jobs.drop();
    }
  });
});

describe('both dialects', () => {
  it.runIf(DIALECTS.length > 1)('reach the same schema version with the same tables and columns', () => {
    if (shapes.size < 2) return expect.fail('both dialect suites must run first in this file');
    expect(shapes.get('postgres')).toEqual(shapes.get('sqlite'));
    expect(versions.get('postgres')).toBe(versions.get('sqlite'));
  });
});
