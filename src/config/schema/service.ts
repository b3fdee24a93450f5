import os from 'node:os';
import { Type } from 'typebox';

// The process: listening, mode, database, logging, the runner and shutdown.

export const MODES = ['demo', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Connections per process to PostgreSQL: four per core by default (pipelined connections keep a
 * core busy with few of them; more only queue inside the server). Across all processes the sum must
 * stay below the server's max_connections.
 */
export const DEFAULT_POOL_SIZE = Math.min(32, Math.max(4, 4 * os.availableParallelism()));

export const SERVICE_ENV = {
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'HTTP port' }),
  HOST: Type.String({ default: '0.0.0.0', description: 'interface to listen on' }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      docDefault: '`http://localhost:$PORT`',
      allowed: 'http(s) URL',
      description: 'the address subscribers use (links in emails)',
    }),
  ),
  ESIMDESK_MODE: Type.Enum(MODES, {
    default: 'demo',
    description:
      '`demo` runs the demo parts (SM-DP+ emulator, test payments, dev mailbox); `production` refuses each unless its real counterpart is configured or it is allowed',
  }),
  ESIMDESK_ALLOW_DEMO_PARTS: Type.Optional(
    Type.String({
      description:
        'production only: comma list of `smdp-emulator`, `test-payments`, `dev-mailbox` to allow anyway',
    }),
  ),
  ESIMDESK_SECRET: Type.Optional(
    Type.String({
      docDefault: 'demo value',
      allowed: '32+ characters',
      description:
        'key for one-time-code and CSRF HMACs; required in production: 32+ random characters (`openssl rand -hex 32`); the demo value and guessable values are refused',
    }),
  ),
  DATABASE_URL: Type.String({
    default: './data/esimdesk.db',
    description: 'a file path or `sqlite:` URL (SQLite), or `postgres://…` (PostgreSQL)',
  }),
  DATABASE_POOL_SIZE: Type.Integer({
    default: DEFAULT_POOL_SIZE,
    docDefault: '4 per core (4–32)',
    minimum: 1,
    maximum: 500,
    description:
      "PostgreSQL connections each process keeps; the sum over all processes must stay below the server's `max_connections`",
  }),
  DATABASE_READ_URL: Type.Optional(
    Type.String({
      allowed: 'postgres:// URLs',
      description:
        'PostgreSQL streaming replicas (one or more `postgres://` URLs, comma-separated) for the heavy reads (usage lists, staff searches and dashboards); what must read its own writes stays on `DATABASE_URL`, and a replica that does not answer is left alone for 10 s while its reads go to the primary (docs/operations.md)',
    }),
  ),
  SQLITE_SYNCHRONOUS: Type.Enum(['FULL', 'NORMAL'], {
    default: 'FULL',
    description:
      '`FULL` makes every acknowledged write survive power loss (transactions that wait for the one SQLite writer share a commit; each is acknowledged after it)',
  }),
  SQLITE_MIN_FREE_MB: Type.Integer({
    default: 100,
    minimum: 0,
    maximum: 10_000_000,
    description:
      '`/readyz` answers 503 while the file system holding the SQLite database has less than this many MB free, before writes begin to fail (0: no check)',
  }),
  WEB_DIR: Type.Optional(
    Type.String({
      docDefault: '`dist/web` of the package',
      description: 'the built web app served at `/` (`npm run build:web` writes it)',
    }),
  ),
  LOG_LEVEL: Type.Enum(LOG_LEVELS, { default: 'info', description: 'pino log level' }),
  TRUST_PROXY: Type.Optional(
    Type.String({
      docDefault: '`none`',
      allowed: 'addresses, CIDRs, presets',
      description:
        "proxies whose `X-Forwarded-For` is believed: addresses, CIDRs, or `loopback`, `linklocal`, `uniquelocal`. Unset, the socket's address is the client's (set it to your load balancer's address when there is one)",
    }),
  ),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 1200,
    minimum: 10,
    maximum: 10_000_000,
    description: 'requests per minute from one address before 429',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      allowed: '16+ printable characters',
      description:
        'production: `/metrics` answers only with `Authorization: Bearer <token>` (unset: 404 in production; demo: open)',
    }),
  ),
  SESSION_CACHE_MS: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 10_000,
    description:
      'how long an API process reuses a session it looked up (`0`: every request reads it); changes made in the same process apply at once, those of another process within this time',
  }),
  IDEMPOTENCY_CLAIM_SECONDS: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 3600,
    description:
      'how long a request holding an Idempotency-Key is presumed running before a retry may take over',
  }),
  RUNNER_ENABLED: Type.Boolean({ default: true, description: 'run background jobs inside `esimdesk start`' }),
  RUNNER_POLL_MS: Type.Integer({
    default: 250,
    minimum: 10,
    maximum: 60_000,
    description: 'background runner: how often (ms) it looks for due jobs',
  }),
  RUNNER_CONCURRENCY: Type.Integer({
    default: 4,
    minimum: 1,
    maximum: 64,
    description: 'background runner: jobs run at the same time by one process',
  }),
  RUNNER_MAX_ATTEMPTS: Type.Integer({
    default: 8,
    minimum: 1,
    maximum: 100,
    description: 'background runner: attempts of a job that declares none before it fails for good',
  }),
  RUNNER_LEASE_MS: Type.Integer({
    default: 30_000,
    minimum: 1_000,
    maximum: 3_600_000,
    description:
      "a runner's lease on a job, renewed while it runs; after a crash another runner takes the job within one lease",
  }),
  SHUTDOWN_DRAIN_MS: Type.Integer({
    default: 5_000,
    minimum: 0,
    maximum: 300_000,
    description:
      "on SIGTERM, how long `/readyz` answers 503 before the process stops taking connections (longer than your load balancer's health-check interval × fall count; see docs/operations.md)",
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    maximum: 3_600_000,
    description:
      'then, how long requests in flight and running jobs get to finish; jobs still running are handed back to the queue for another runner',
  }),
};
