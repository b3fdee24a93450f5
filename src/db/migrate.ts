import { type Kysely, type MigrationProvider, Migrator } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider });
}

export interface MigrationReport {
  applied: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationReport> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

export interface SchemaVersion {
  current: string | null;
  latest: string;
  pending: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function schemaVersion(db: Kysely<any>): Promise<SchemaVersion> {
  const all = await migrator(db).getMigrations();
  const executed = all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const names = Object.keys(MIGRATIONS);
  return {
    current: executed.at(-1) ?? null,
    latest: names.at(-1) ?? '',
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}
