import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { DEMO_PLANS } from '../src/modules/catalog/demo-catalog.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { freePort } from './helpers/process.js';

const CLI = [
  '--import',
  new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href,
  new URL('./helpers/cli-entry.ts', import.meta.url).pathname,
];
/** Far longer than a refusal takes; a command still running then is hung, and is killed. */
const HUNG_AFTER_MS = 90_000;

/** `esimdesk <args>` to its end (killed if it hangs): exit code, output, and whether it hung. */
function runCommand(args: string[], env: Record<string, string>, asUser?: string) {
  return new Promise<{ status: number | null; output: string; hung: boolean }>((resolve) => {
    const command = [process.execPath, ...CLI, ...args];
    const [file, argv] = asUser
      ? ['runuser', ['-u', asUser, '--', ...command]]
      : [command[0]!, command.slice(1)];
    const child = spawn(file, argv, {
      env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HUNG_AFTER_MS);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, output, hung });
    });
  });
}

/**
 * `esimdesk start` as a child process, resolved once /healthz answers or rejected when it exits
 * first (what the test is about: a start that crashes). Generous: three cold starts at once
 * compile the sources three times over.
 */
async function startServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...CLI, 'start', '--migrate'], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < HUNG_AFTER_MS / 100; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`did not start: ${stderr}`);
}

/** The command refused to start with one line naming DATABASE_URL that matches `what`. */
async function expectRefused(args: string[], databaseUrl: string, what: RegExp, asUser?: string) {
  const result = await runCommand(args, { DATABASE_URL: databaseUrl }, asUser);
  expect(result.hung, `esimdesk ${args.join(' ')} with DATABASE_URL=${databaseUrl} hung`).toBe(false);
  expect([69, 78], result.output).toContain(result.status);
  const lines = result.output.trim().split('\n');
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^esimdesk: DATABASE_URL: /);
  expect(lines[0]).toMatch(what);
}

describeEachDialect('start-up with a DATABASE_URL that cannot work', (dialect) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-startup-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  if (dialect === 'sqlite') {
    it('names the variable and the problem: a special file system, a missing directory, not a database', async () => {
      await expectRefused(['start'], '/proc/esimdesk.db', /\/proc is on the proc file system/);
      await expectRefused(['start'], '/proc/self/esimdesk.db', /on the proc file system/);
      await expectRefused(['start'], '/sys/esimdesk.db', /\/sys is on the sysfs file system/);
      await expectRefused(
        ['start'],
        path.join(dir, 'missing', 'esimdesk.db'),
        /the directory .*missing does not exist/,
      );
      // Nothing was created on the way.
      expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
      await expectRefused(['start'], dir, /exists and is not a regular file/);
      const notADatabase = path.join(dir, 'notes.txt');
      fs.writeFileSync(notADatabase, 'these are not the pages of a SQLite database\n'.repeat(100));
      await expectRefused(['start'], notADatabase, /notes\.txt is not a SQLite database/);
      // Every command that opens the database checks it the same way.
      await expectRefused(['runner'], '/proc/esimdesk.db', /proc file system/);
      await expectRefused(['migrate'], path.join(dir, 'missing', 'esimdesk.db'), /does not exist/);
    }, 180_000);

    it('names a database file this user cannot write', async () => {
      // Root writes any file, so as root (CI) the command runs as nobody, in a directory nobody owns.
      const asRoot = process.getuid?.() === 0;
      const own = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-readonly-'));
      const file = path.join(own, 'esimdesk.db');
      try {
        const made = await createTestDatabase('sqlite');
        fs.copyFileSync(made.config.dialect === 'sqlite' ? made.config.path : '', file);
        await made.drop();
        fs.chmodSync(own, 0o755);
        if (asRoot) fs.chownSync(own, 65534, 65534);
        fs.chmodSync(file, 0o444);
        await expectRefused(
          ['start'],
          file,
          /esimdesk\.db is not writable by this user/,
          asRoot ? 'nobody' : undefined,
        );
      } finally {
        fs.rmSync(own, { recursive: true, force: true });
      }
    }, 120_000);
  } else {
    it('names the variable and the problem: nothing listening, an unknown host, a missing database', async () => {
      const closed = await freePort();
      await expectRefused(
        ['start'],
        `postgres://postgres@127.0.0.1:${closed}/esimdesk`,
        new RegExp(`nothing accepts connections at 127\\.0\\.0\\.1:${closed}`),
      );
      await expectRefused(['start'], 'postgres://postgres:secret@db.invalid:5432/esimdesk', /db\.invalid/);
      const missing = new URL(TEST_ENV.pgUrl);
      missing.pathname = '/esimdesk_no_such_database';
      await expectRefused(
        ['runner'],
        missing.toString(),
        /the database "esimdesk_no_such_database" does not exist/,
      );
      // The password never appears.
      const result = await runCommand(['start'], {
        DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${closed}/esimdesk`,
      });
      expect(result.output).not.toContain('secret');
    }, 180_000);
  }
});

describeEachDialect('three processes starting at once on an empty database', (dialect) => {
  let db: TestDatabase;
  const servers: ChildProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase(dialect, { migrate: false });
  });
  afterAll(async () => {
    await Promise.all(
      servers.map((child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        return exited;
      }),
    );
    await db.drop();
  });

  it('all three start; the schema is migrated and the demo catalog seeded once', async () => {
    const env = {
      DATABASE_URL: db.config.dialect === 'sqlite' ? db.config.path : db.config.url,
      ESIMDESK_MODE: 'demo',
      RUNNER_ENABLED: 'false',
    };
    const started = await Promise.allSettled([startServer(env), startServer(env), startServer(env)]);
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value.child);
    expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'started'))).toEqual([
      'started',
      'started',
      'started',
    ]);
    for (const s of started) {
      if (s.status === 'fulfilled') expect((await fetch(`${s.value.url}/readyz`)).status).toBe(200);
    }

    const conn = db.database.db;
    // Each migration applied once (and /readyz above says the schema is current).
    const migrations = (await conn
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .execute()) as { name: string }[];
    expect(migrations.map((m) => m.name)).toEqual(expect.arrayContaining(Object.keys(MIGRATIONS)));
    expect(new Set(migrations.map((m) => m.name)).size).toBe(migrations.length);
    const plans = await conn.selectFrom('plans').select('code').execute();
    expect(plans.map((p) => p.code).sort()).toEqual(DEMO_PLANS.map((p) => p.code).sort());
    const addons = await conn.selectFrom('addons').select('code').execute();
    expect(addons.length).toBeGreaterThan(0);
    expect(new Set(addons.map((a) => a.code)).size).toBe(addons.length);
  }, 180_000);
});
