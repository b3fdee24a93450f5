import { buildApp } from './app.js';
import { type Config, demoPartWarnings } from './config.js';
import { type AppContext, closeAppContext, createAppContext } from './context.js';
import { migrateToLatest } from './db/migrate.js';
import { startEs2Listeners } from './integrations/smdp/es2plus.listener.js';

export interface StartOptions {
  /** Run pending migrations first. Always on for the embedded SQLite database. */
  migrate?: boolean;
  runner?: boolean;
}

export async function startServer(config: Config, options: StartOptions = {}) {
  const ctx = createAppContext(config);
  // Processes starting together on one database take turns: each finds what the one before did.
  await ctx.database.withStartupLock(async () => {
    if (options.migrate || config.database.dialect === 'sqlite') {
      const { applied } = await migrateToLatest(ctx.database.db);
      if (applied.length) ctx.logger.info({ applied }, 'database migrated');
    }
    if (config.mode === 'demo') {
      const seeded = await ctx.catalog.seedDemo();
      await ctx.lineExtras.seedDemoAddons();
      if (seeded) ctx.logger.info({ plans: seeded }, 'demo catalog seeded');
    }
  });
  const app = await buildApp(ctx);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  if (address && typeof address === 'object') ctx.self.url = `http://127.0.0.1:${address.port}`;
  let es2: Awaited<ReturnType<typeof startEs2Listeners>>;
  try {
    es2 = await startEs2Listeners(ctx);
  } catch (error) {
    await app.close();
    await closeAppContext(ctx);
    throw error;
  }
  const runRunner = options.runner ?? config.runner.enabled;
  if (runRunner) ctx.runner.start();
  ctx.logger.info(
    { url: config.publicUrl, mode: config.mode, database: config.database.dialect, runner: runRunner },
    `${config.brandName} is listening`,
  );
  for (const warning of demoPartWarnings(config))
    ctx.logger.warn({ demoPart: warning.part }, warning.message);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await es2.close();
      await app.close();
      await closeAppContext(ctx);
    })();
    return closing;
  };
  return { app, ctx, es2, close };
}

export async function runStandaloneRunner(ctx: AppContext): Promise<() => Promise<void>> {
  ctx.runner.start();
  ctx.logger.info({ runner: ctx.runner.id }, 'runner started');
  return () => closeAppContext(ctx);
}
