import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './process.js';

/**
 * A private PostgreSQL cluster for tests that stop, restart or break the server (the shared one at
 * TEST_DATABASE_URL must stay up for every other test). It is made with initdb and run with pg_ctl
 * from Debian's /usr/lib/postgresql/<version>/bin, on its own port, in a temp directory, over TCP
 * only, with trust authentication for everyone on 127.0.0.1 (replication connections too, so a
 * replica can be made from it with pg_basebackup).
 *
 * PostgreSQL refuses to run as root. Run as root (as CI is), the tools run as the `postgres` system
 * user (which Debian's postgresql package creates) through runuser, and the data directory is
 * handed to that user; run as anyone else, they run as the caller.
 */
export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  port: number;
  dataDir: string;
  /** The server log (for assertion messages when something goes wrong). */
  log(): string;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** pg_ctl stop: `fast` ends sessions and shuts down cleanly, `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  running(): boolean;
  /** One statement as the superuser, on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, database?: string): Promise<R[]>;
  /** On a replica: holds replay (the replica falls behind the primary) until it is paused. */
  pauseReplay(database: string): Promise<void>;
  /**
   * On a replica: lets replay go on and waits until it does. Replay resumed at once may cancel the
   * resuming statement itself in a conflict with recovery (40001) — the WAL held back is older than
   * max_standby_streaming_delay — which is not a failure to resume.
   */
  resumeReplay(database: string): Promise<void>;
  /** Runs one of the cluster's tools (pg_basebackup, psql, …) as the cluster's owner. */
  tool(name: string, args: string[]): string;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory, or null when none is installed. */
export function pgBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

function owner(): { user: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    const found = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    if (found.status !== 0) continue;
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    return { user, uid: Number(found.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL');
}

/** initdb a fresh cluster on a free port and start it. `settings` go to postgres as -c options. */
export async function startPgCluster(
  options: { settings?: Record<string, string> } = {},
): Promise<PgCluster> {
  return startCluster(options, null);
}

/**
 * A streaming replica of `primary` (a cluster of startPgCluster) on a port of its own: made with
 * `pg_basebackup -R` (which writes standby.signal and primary_conninfo) and started. It answers reads
 * and refuses writes (25006); `select pg_wal_replay_pause()` on it holds it behind the primary.
 */
export async function startPgReplica(
  primary: PgCluster,
  options: { settings?: Record<string, string> } = {},
): Promise<PgCluster> {
  return startCluster(options, primary);
}

async function startCluster(
  options: { settings?: Record<string, string> },
  primary: PgCluster | null,
): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin)
    throw new Error('no PostgreSQL server installed under /usr/lib/postgresql (apt-get install postgresql)');
  const runAs = owner();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), primary ? 'esimdesk-pg-replica-' : 'esimdesk-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (!primary) fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.writeFileSync(logFile, '');
  if (runAs) {
    for (const p of [dir, ...(primary ? [] : [dataDir]), logFile]) fs.chownSync(p, runAs.uid, runAs.gid);
  }
  const port = await freePort();

  const tool = (name: string, args: string[]): string => {
    const command = path.join(bin, name);
    const [file, argv] = runAs ? ['runuser', ['-u', runAs.user, '--', command, ...args]] : [command, args];
    try {
      return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };

  if (primary) {
    tool('pg_basebackup', ['-D', dataDir, '-d', primary.url(), '-R', '-X', 'stream', '--no-sync']);
  } else {
    tool('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
  }
  const serverOptions = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: "''",
    fsync: 'off',
    full_page_writes: 'off',
    synchronous_commit: 'off',
    max_connections: '100',
    ...options.settings,
  };
  const postgresArgs = Object.entries(serverOptions)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');

  let running = false;
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const cluster: PgCluster = {
    url,
    port,
    dataDir,
    log: () => fs.readFileSync(logFile, 'utf8'),
    running: () => running,
    start: async () => {
      tool('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', postgresArgs]);
      running = true;
    },
    stop: async (mode = 'fast') => {
      if (!running) return;
      tool('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
      running = false;
    },
    query: async <R extends pg.QueryResultRow>(sql: string, database?: string) => {
      const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return (await client.query<R>(sql)).rows;
      } finally {
        await client.end();
      }
    },
    pauseReplay: async (database) => {
      await cluster.query('select pg_wal_replay_pause()', database);
      await waitForReplay(cluster, database, 'paused');
    },
    resumeReplay: async (database) => {
      try {
        await cluster.query('select pg_wal_replay_resume()', database);
      } catch (error) {
        if ((error as { code?: string }).code !== '40001') throw error;
      }
      await waitForReplay(cluster, database, 'not paused');
    },
    tool,
    destroy: async () => {
      try {
        await cluster.stop('immediate');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  await cluster.start();
  return cluster;
}

/**
 * A private cluster with an empty `esimdesk` database, and the environment of esimdesk processes on
 * it: demo mode in CNY, the per-minute request limit and the daily top-up limit out of the way of a
 * test's load, and `env` on top. A failed start leaves no cluster behind.
 */
export async function startClusterForApp(
  env: Record<string, string>,
): Promise<{ cluster: PgCluster; env: Record<string, string> }> {
  const cluster = await startPgCluster();
  try {
    await cluster.query('create database esimdesk');
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return {
    cluster,
    env: {
      DATABASE_URL: cluster.url('esimdesk'),
      ESIMDESK_MODE: 'demo',
      CURRENCY: 'CNY',
      RATE_LIMIT_PER_MINUTE: '1000000',
      TOPUP_DAILY_MAX_MINOR: '1000000000',
      ...env,
    },
  };
}

async function waitForReplay(cluster: PgCluster, database: string, state: 'paused' | 'not paused') {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = await cluster
      .query<{ s: string }>('select pg_get_wal_replay_pause_state() as s', database)
      .then(
        ([row]) => row?.s,
        (error: { code?: string }) =>
          error.code === '40001' ? 'cancelled by replay' : Promise.reject(error),
      );
    if (now === state) return;
    if (Date.now() > deadline) throw new Error(`replay is ${now}, not ${state}, after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
