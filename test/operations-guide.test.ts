import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import { TEST_ENV } from './helpers/env.js';
import { freePort, runCli, startCliProcess, startServerProcess } from './helpers/process.js';

/** Every command line of the ```sh blocks of docs/operations.md, in order. */
function guideCommands(): string[] {
  const guide = fs.readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');
  return [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

/** Splits a shell-free command line ("npx esimdesk staff add --email x --role admin") into words. */
const words = (line: string) => line.split(/\s+/);

describeEachDialect("the operator's guide, command by command", (dialect) => {
  let db: TestDatabase;
  let restore: { url: string; drop(): Promise<void> } | null = null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-guide-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, { migrate: false });
    if (dialect === 'postgres') {
      const name = `esimdesk_restore_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: TEST_ENV.pgUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(TEST_ENV.pgUrl);
      url.pathname = `/${name}`;
      restore = {
        url: url.toString(),
        drop: async () => {
          const c = new pg.Client({ connectionString: TEST_ENV.pgUrl });
          await c.connect();
          await c.query(`drop database if exists ${name} with (force)`);
          await c.end();
        },
      };
    }
    // A mediation file for `usage import cdr.csv` (one record for a line nobody has: counted as rejected).
    fs.writeFileSync(
      path.join(dir, 'cdr.csv'),
      'id,iccid,type,startedAt,durationSeconds,bytes,counterpart,direction,country\r\nr1,89860990000000000001,sms,2026-11-01T10:00:00Z,,,+8613800000000,out,CN\r\n',
    );
  });
  afterAll(async () => {
    await db.drop();
    await restore?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs every command of docs/operations.md as written', async () => {
    const commands = guideCommands();
    expect(commands.length).toBeGreaterThanOrEqual(10);
    const env = {
      DATABASE_URL: db.config.dialect === 'sqlite' ? db.config.path : db.config.url,
      ESIMDESK_MODE: 'demo',
      EXPORT_DIR: path.join(dir, 'exports'),
      RESTORE_URL: restore?.url ?? '',
    };
    const ran: string[] = [];
    for (const line of commands) {
      if (line.startsWith('pg_')) {
        if (dialect !== 'postgres') continue; // PostgreSQL's own tools
        execSync(line, { cwd: dir, env: { ...process.env, ...env }, stdio: 'pipe' });
        ran.push(line);
        continue;
      }
      expect(line.startsWith('npx esimdesk '), line).toBe(true);
      const args = words(line).slice(2);
      if (args[0] === 'backup' && dialect !== 'sqlite') continue; // SQLite's backup; PostgreSQL uses pg_dump
      if (args[0] === 'start') {
        const server = await startServerProcess(env, await freePort(), args, dir);
        const ready = await fetch(`${server.url}/readyz`);
        expect(ready.status, line).toBe(200);
        expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
        await server.stop();
      } else if (args[0] === 'runner') {
        const runner = startCliProcess(args, env, dir);
        await sleep(1500);
        expect(runner.running(), `${line} keeps running`).toBe(true);
        await runner.stop();
      } else {
        // After a restore, the books are checked on the restored copy.
        const target =
          args.join(' ') === 'ledger verify' &&
          ran.some((r) => r.startsWith('pg_restore') || r.includes(' backup '))
            ? { DATABASE_URL: dialect === 'postgres' ? restore!.url : path.join(dir, 'esimdesk-backup.db') }
            : {};
        const result = runCli(args, { ...env, ...target }, dir);
        expect(result.status, `${line}\n${result.output}`).toBe(0);
      }
      ran.push(line);
    }
    expect(ran.some((r) => r.includes('staff add'))).toBe(true);
    if (dialect === 'sqlite') expect(fs.existsSync(path.join(dir, 'esimdesk-backup.db'))).toBe(true);
    else expect(ran.some((r) => r.startsWith('pg_restore'))).toBe(true);
    // The admin the guide created is there, and the restored copy holds it too.
    const staff = await db.database.db
      .selectFrom('accounts')
      .select('role')
      .where('email', '=', 'ops@operator.example.com')
      .executeTakeFirst();
    expect(staff?.role).toBe('admin');
  }, 300_000); // each command is a cold start of the CLI: on a loaded 2-core machine that adds up
});
