import fs from 'node:fs';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { TEST_ENV } from './helpers/env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string | null;
    pgSkipReason: string | null;
    chromium: boolean;
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_ENV.pgUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup(project: TestProject) {
  const template = `esimdesk_tpl_${process.pid}`;
  let pgReady = false;
  if (TEST_ENV.dialects.includes('postgres')) {
    try {
      await adminQuery(`drop database if exists ${template}`);
      await adminQuery(`create database ${template}`);
      const database = openPostgres(withDatabase(TEST_ENV.pgUrl, template), 2);
      await migrateToLatest(database.db);
      await database.close();
      pgReady = true;
    } catch (error) {
      const reason = `PostgreSQL at ${TEST_ENV.pgUrl} is not usable: ${(error as Error).message}`;
      if (TEST_ENV.ci) throw new Error(`CI=true and ${reason}`);
      console.warn(`\n!!! SKIPPING PostgreSQL tests: ${reason}\n`);
      project.provide('pgSkipReason', reason);
    }
  }
  project.provide('pgTemplate', pgReady ? template : null);
  if (!pgReady && !TEST_ENV.dialects.includes('postgres'))
    project.provide('pgSkipReason', 'TEST_DIALECTS excludes postgres');

  const chromium = fs.existsSync(TEST_ENV.chromium);
  if (!chromium) {
    if (TEST_ENV.ci) throw new Error(`CI=true and Chromium is missing at ${TEST_ENV.chromium}`);
    console.warn(
      `\n!!! SKIPPING browser tests: no Chromium at ${TEST_ENV.chromium} (apt-get install chromium)\n`,
    );
  }
  project.provide('chromium', chromium);

  return async () => {
    if (!pgReady) return;
    const client = new pg.Client({ connectionString: TEST_ENV.pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        `select datname from pg_database where datname like 'esimdesk_t_${process.pid}_%' or datname = $1`,
        [template],
      );
      for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`);
    } finally {
      await client.end();
    }
  };
}
