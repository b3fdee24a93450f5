import type { FastifyInstance } from 'fastify';
import { type App, buildApp } from '../../src/app.js';
import { type Env, loadConfig } from '../../src/config.js';
import { type AppContext, createAppContext } from '../../src/context.js';
import type { Clock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import type { Dialect } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestApp {
  ctx: AppContext;
  app: App;
  db: TestDatabase;
  /** Base URL of the app listening on a random port of 127.0.0.1. */
  url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Env;
  clock?: Clock;
  register?: (app: FastifyInstance) => Promise<void> | void;
  /** Where the app's (real, redacting) logger writes; tests read it to check what is logged. */
  logDestination?: import('pino').DestinationStream;
}

/** The real app on a fresh database of `dialect`, listening on a random port. The runner is not started. */
export async function startTestApp(dialect: Dialect, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(dialect);
  const config = loadConfig({
    ESIMDESK_MODE: 'demo',
    LOG_LEVEL: 'silent',
    RUNNER_ENABLED: 'false',
    EXPORT_DIR: `${db.config.dialect === 'sqlite' ? `${db.config.path}.exports` : `/tmp/esimdesk-exports-${process.pid}`}`,
    PORT: '0',
    HOST: '127.0.0.1',
    ...options.env,
  });
  const ctx = createAppContext(
    { ...config, database: db.config },
    {
      database: db.database,
      clock: options.clock,
      logger: createLogger(config.logLevel, options.logDestination),
    },
  );
  const app = await buildApp(ctx, { register: options.register });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  ctx.self.url = `http://127.0.0.1:${port}`;
  return {
    ctx,
    app,
    db,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await ctx.runner.stop();
      await ctx.es2.close();
      await app.close();
      await db.drop();
    },
  };
}

export interface TestContext {
  ctx: AppContext;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The app context (services, runner, jobs) on a fresh database, without HTTP. */
export async function createTestContext(
  dialect: Dialect,
  options: TestAppOptions = {},
): Promise<TestContext> {
  const db = await createTestDatabase(dialect);
  const config = loadConfig({
    ESIMDESK_MODE: 'demo',
    LOG_LEVEL: 'silent',
    RUNNER_ENABLED: 'false',
    ...options.env,
  });
  const ctx = createAppContext(
    { ...config, database: db.config },
    { database: db.database, clock: options.clock, logger: createLogger(config.logLevel) },
  );
  return {
    ctx,
    db,
    close: async () => {
      await ctx.runner.stop();
      await db.drop();
    },
  };
}
