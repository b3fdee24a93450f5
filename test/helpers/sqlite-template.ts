import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openSqlite } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sqliteTemplate: string;
  }
}

/**
 * Global setup: one migrated SQLite database per run, which createTestDatabase copies for each test
 * database (migrating each one took half a second; a copy takes a millisecond). SQLite's counterpart
 * of PostgreSQL's template database.
 */
export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-template-'));
  const file = path.join(dir, 'template.db');
  const database = openSqlite(file);
  await migrateToLatest(database.db);
  // Closing the last connection checkpoints the WAL into the file and removes it: the file is whole.
  await database.close();
  project.provide('sqliteTemplate', file);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
