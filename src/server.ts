import { setTimeout as sleep } from 'node:timers/promises';
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
  /** Closes at once (tests, start-up failures): no drain. */
  const close = () => {
    closing ??= (async () => {
      ctx.lifecycle.draining = true;
      await es2.close();
      await app.close();
      await closeAppContext(ctx, config.shutdown.graceMs);
    })();
    return closing;
  };
  /**
   * The graceful stop (SIGTERM): /readyz turns 503 and keeps serving everything else for
   * SHUTDOWN_DRAIN_MS, so a load balancer health-checking it stops sending new requests here; then
   * the listeners close, requests in flight finish (up to SHUTDOWN_GRACE_MS, after which their
   * connections are cut), the runner stops claiming and hands back what it could not finish, and
   * the database connections close.
   */
  const shutdown = () => {
    closing ??= (async () => {
      ctx.lifecycle.draining = true;
      ctx.logger.info({ drainMs: config.shutdown.drainMs }, 'shutting down: not ready, draining');
      await sleep(config.shutdown.drainMs);
      const cut = setTimeout(() => app.server.closeAllConnections(), config.shutdown.graceMs);
      try {
        await es2.close();
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      await closeAppContext(ctx, config.shutdown.graceMs);
      ctx.logger.info('shut down');
    })();
    return closing;
  };
  return { app, ctx, es2, close, shutdown };
}

/** The runner alone (`esimdesk runner`); the function returned stops it gracefully (SIGTERM). */
export async function runStandaloneRunner(ctx: AppContext): Promise<() => Promise<void>> {
  ctx.runner.start();
  ctx.logger.info({ runner: ctx.runner.id }, 'runner started');
  return async () => {
    ctx.logger.info({ runner: ctx.runner.id }, 'runner stopping: no more claims');
    await closeAppContext(ctx, ctx.config.shutdown.graceMs);
  };
}
