import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { type Config, ConfigError, loadConfig, readEnv } from './config.js';
import { closeAppContext, createAppContext } from './context.js';
import { AppError } from './core/errors.js';
import { databaseFault } from './db/errors.js';
import { migrateToLatest, schemaVersion } from './db/migrate.js';
import { checkDatabase, DatabaseUrlError } from './db/preflight.js';
import { importUsageCsv } from './modules/usage/csv-import.js';
import { runStandaloneRunner, startServer } from './server.js';

function config(defaults: { mode?: 'demo' | 'production' } = {}): Config {
  try {
    return loadConfig(readEnv(), defaults);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`esimdesk: configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/**
 * The configuration, with its database checked: a DATABASE_URL that cannot work ends the process
 * with one line naming it (exit 78 when the setting is wrong, 69 when the server is not there).
 */
async function checkedConfig(defaults: { mode?: 'demo' | 'production' } = {}): Promise<Config> {
  const cfg = config(defaults);
  try {
    await checkDatabase(cfg.database);
  } catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error;
    process.stderr.write(`esimdesk: ${error.message}\n`);
    process.exit(error.unavailable ? 69 : 78);
  }
  return cfg;
}

/** A start-up failure the operator can act on is one line; anything else keeps its stack. */
function failedToStart(cfg: Config, error: unknown): never {
  const code = (error as { code?: string })?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    process.stderr.write(
      `esimdesk: PORT: cannot listen on ${cfg.host}:${cfg.port} (${code === 'EADDRINUSE' ? 'already in use' : 'permission denied'})\n`,
    );
    process.exit(78);
  }
  const fault = databaseFault(error);
  if (fault) {
    const what = code ?? (error as Error).message;
    const problem = fault === 'storage' ? 'the database cannot be written' : 'the database went away';
    process.stderr.write(`esimdesk: DATABASE_URL: ${problem} during start-up (${what})\n`);
    process.exit(69);
  }
  throw error;
}

/**
 * SIGTERM or SIGINT stops gracefully (see startServer's shutdown and Runner.stop); a second signal
 * ends the process at once.
 */
function onSignals(stop: () => Promise<unknown>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

export function cli(): Command {
  const program = new Command('esimdesk').description(
    'eSIM operator platform: API, web app, runner and tools',
  );

  program
    .command('start')
    .description('serve the API and web app (and the background runner unless RUNNER_ENABLED=false)')
    .option('--migrate', 'apply pending migrations first (always done for SQLite)')
    .option('--no-runner', 'do not run background jobs in this process')
    .action(async (opts: { migrate?: boolean; runner: boolean }) => {
      const cfg = await checkedConfig();
      const server = await startServer(cfg, {
        migrate: opts.migrate,
        runner: opts.runner && undefined,
      }).catch((error: unknown) => failedToStart(cfg, error));
      onSignals(server.shutdown);
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const ctx = createAppContext(await checkedConfig());
      try {
        const { applied } = await ctx.database.withStartupLock(() => migrateToLatest(ctx.database.db));
        const version = await schemaVersion(ctx.database.db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
        console.log(`schema at ${version.current}`);
      } finally {
        await closeAppContext(ctx);
      }
    });

  program
    .command('runner')
    .description('run background jobs only (scale out: several may run against one PostgreSQL)')
    .action(async () => {
      const ctx = createAppContext(await checkedConfig());
      const stop = await runStandaloneRunner(ctx);
      onSignals(stop);
    });

  program
    .command('ledger')
    .description('ledger tools')
    .command('verify')
    .description('recompute every balance from the postings and report any difference (exit 1 if any)')
    .action(async () => {
      const ctx = createAppContext(await checkedConfig());
      try {
        const problems = await ctx.ledger.verify(ctx.database.db);
        for (const problem of problems) console.log(problem);
        console.log(
          problems.length
            ? `${problems.length} problem(s) found`
            : 'ledger verified: balances match postings, totals are zero',
        );
        process.exitCode = problems.length ? 1 : 0;
      } finally {
        await closeAppContext(ctx);
      }
    });

  program
    .command('backup <file>')
    .description(
      'SQLite: a consistent copy of the live database (safe while serving); PostgreSQL: use pg_dump',
    )
    .action(async (file: string) => {
      const cfg = config();
      if (cfg.database.dialect !== 'sqlite') {
        process.stderr.write('esimdesk: on PostgreSQL back up with pg_dump (see docs/operations.md)\n');
        process.exit(64);
      }
      const Sqlite = (await import('better-sqlite3')).default;
      const source = new Sqlite(cfg.database.path, { readonly: true, fileMustExist: true });
      try {
        await source.backup(file);
        console.log(`backed up ${cfg.database.path} to ${file}`);
      } finally {
        source.close();
      }
    });

  const keys = program.command('keys').description('service keys (mediation and other operator systems)');
  keys
    .command('add')
    .description('create a service key; it is shown once and stored hashed')
    .requiredOption('--name <name>', 'what uses the key, e.g. mediation')
    .action(async (opts: { name: string }) => {
      const ctx = createAppContext(await checkedConfig());
      try {
        await ctx.database.withStartupLock(() => migrateToLatest(ctx.database.db));
        const created = await ctx.usage.addServiceKey(opts.name);
        console.log(`service key ${created.id} for ${created.name} (shown once):`);
        console.log(created.key);
      } finally {
        await closeAppContext(ctx);
      }
    });
  keys
    .command('revoke')
    .description('revoke every key with this name')
    .requiredOption('--name <name>', 'the name given at creation')
    .action(async (opts: { name: string }) => {
      const ctx = createAppContext(await checkedConfig());
      try {
        console.log(`revoked ${await ctx.usage.revokeServiceKeys(opts.name)} key(s)`);
      } finally {
        await closeAppContext(ctx);
      }
    });

  const usage = program.command('usage').description('usage records');
  usage
    .command('import <file>')
    .description('stream a mediation CSV into rating; resumable, each record counted once')
    .option('--batch <n>', 'records per transaction', '5000')
    .action(async (file: string, opts: { batch: string }) => {
      const ctx = createAppContext(await checkedConfig());
      const started = Date.now();
      try {
        await ctx.database.withStartupLock(() => migrateToLatest(ctx.database.db));
        const summary = await importUsageCsv(ctx.usage, file, {
          batchSize: Number(opts.batch) || 5000,
          onProgress: (s) => {
            const rate = Math.round((s.read - s.skipped) / Math.max(0.001, (Date.now() - started) / 1000));
            process.stderr.write(
              `\r${s.read} records read, ${s.accepted} accepted, ${s.duplicates} duplicates, ${s.rejected.length} rejected (${rate}/s)   `,
            );
          },
        });
        process.stderr.write('\n');
        console.log(
          JSON.stringify(
            { ...summary, rejected: summary.rejected.slice(0, 20), rejectedCount: summary.rejected.length },
            null,
            2,
          ),
        );
        if (summary.brokenAt) {
          process.stderr.write(
            `esimdesk: the CSV is broken at line ${summary.brokenAt.line}: ${summary.brokenAt.message}; fix it and run again to resume\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        await closeAppContext(ctx);
      }
    });

  usage
    .command('rerate')
    .description(
      "rate a line's current allowance period again from scratch and post the difference; a second run changes nothing",
    )
    .requiredOption('--line <id>', 'the line')
    .action(async (opts: { line: string }) => {
      const ctx = createAppContext(await checkedConfig());
      try {
        await ctx.database.withStartupLock(() => migrateToLatest(ctx.database.db));
        const summary = await ctx.usage.rerate(opts.line, {
          actor: { type: 'system', id: 'cli' },
          requestId: 'cli',
        });
        console.log(JSON.stringify(summary, null, 2));
      } finally {
        await closeAppContext(ctx);
      }
    });

  const staff = program.command('staff').description('staff accounts');
  staff
    .command('add')
    .description('create a staff account (or change its role); it signs in with a one-time code')
    .requiredOption('--email <email>', 'work email address')
    .requiredOption('--role <role>', 'agent, reviewer or admin')
    .action(async (opts: { email: string; role: string }) => {
      if (!['agent', 'reviewer', 'admin'].includes(opts.role)) {
        process.stderr.write(`esimdesk: --role must be agent, reviewer or admin, got "${opts.role}"\n`);
        process.exit(64);
      }
      const ctx = createAppContext(await checkedConfig());
      try {
        await ctx.database.withStartupLock(() => migrateToLatest(ctx.database.db));
        const result = await ctx.identity.addStaff(
          { email: opts.email, role: opts.role as 'agent' | 'reviewer' | 'admin' },
          { actor: { type: 'system', id: 'cli' } },
        );
        console.log(`${result.created ? 'created' : 'updated'} ${opts.role} ${opts.email} (${result.id})`);
      } catch (error) {
        process.stderr.write(`esimdesk: ${describeError(error)}\n`);
        process.exitCode = 1;
      } finally {
        await closeAppContext(ctx);
      }
    });

  return program;
}

function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.code} ${JSON.stringify(error.details)}`;
  return error instanceof Error ? error.message : String(error);
}

export async function main(argv: string[]): Promise<void> {
  await cli().parseAsync(argv);
}

// Run directly (`npm run dev`: tsx src/main.ts …), not only through bin/esimdesk.js.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(process.argv);
}
