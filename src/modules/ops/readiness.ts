import fs from 'node:fs';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { databaseFault } from '../../db/errors.js';
import { type SchemaVersion, schemaVersion } from '../../db/migrate.js';
import { beat } from './ops.store.js';

export interface Readiness {
  ready: boolean;
  database: 'up' | 'down';
  /** Whether the probe's write went through (false when the database is down too). */
  writable: boolean;
  schema: SchemaVersion;
  /** Why not ready, for the operator: a fixed phrase and the database's own error code. */
  reason?: string;
}

/** A probe that takes longer than this reports not ready: a load balancer must not wait on it. */
const PROBE_TIMEOUT_MS = 3000;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : ((error as Error)?.message ?? String(error)).slice(0, 80);
}

/** Where a SQLite database lives and the free space below which it is not ready. */
export interface DiskFloor {
  dir: string;
  minFreeMb: number;
}

/** MB free for this user on the file system holding `dir`. */
function freeMb(dir: string): number {
  const stats = fs.statfsSync(dir);
  return Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
}

/**
 * Ready means: the database answers, its schema is current, and it takes a write (one heartbeat row
 * updated in place), so a read-only file or database, a standby or a lost server all say not ready.
 * On SQLite it also means room to grow: the heartbeat rewrites a page already there and goes through
 * on a full disk, while the next new row does not, so the free space is checked against a floor.
 */
export function createReadinessProbe(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  disk?: DiskFloor | null;
}) {
  const { db, clock, logger, disk } = deps;
  const unknownSchema: SchemaVersion = { current: null, latest: '', pending: [] };

  async function probe(): Promise<Readiness> {
    let schema: SchemaVersion;
    try {
      schema = await schemaVersion(db);
    } catch (error) {
      logger.warn({ err: error }, 'readiness: the database does not answer');
      return {
        ready: false,
        database: 'down',
        writable: false,
        schema: unknownSchema,
        reason: `database unreachable (${codeOf(error)})`,
      };
    }
    if (schema.pending.length > 0) {
      return {
        ready: false,
        database: 'up',
        writable: false,
        schema,
        reason: `schema behind: ${schema.pending.length} migration(s) pending (esimdesk migrate)`,
      };
    }
    try {
      const beatAt = clock.now().toISOString();
      await beat(db, 'readyz', beatAt);
    } catch (error) {
      logger.warn({ err: error }, 'readiness: the database does not take a write');
      const down = databaseFault(error) === 'unavailable';
      return {
        ready: false,
        database: down ? 'down' : 'up',
        writable: false,
        schema,
        reason: `${down ? 'database unreachable' : 'database cannot be written'} (${codeOf(error)})`,
      };
    }
    const free = disk && disk.minFreeMb > 0 ? freeMb(disk.dir) : null;
    if (free !== null && disk && free < disk.minFreeMb) {
      logger.warn({ freeMb: free, minFreeMb: disk.minFreeMb }, 'readiness: the disk is almost full');
      return {
        ready: false,
        database: 'up',
        writable: true,
        schema,
        reason: `disk almost full: ${free} MB free where the database is, below SQLITE_MIN_FREE_MB (${disk.minFreeMb})`,
      };
    }
    return { ready: true, database: 'up', writable: true, schema };
  }

  let last: Readiness | null = null;
  return {
    /** The latest answer check() gave (null before the first). */
    last: (): Readiness | null => last,
    async check(): Promise<Readiness> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<Readiness>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              ready: false,
              database: 'down',
              writable: false,
              schema: unknownSchema,
              reason: `database did not answer within ${PROBE_TIMEOUT_MS / 1000} s`,
            }),
          PROBE_TIMEOUT_MS,
        );
      });
      try {
        last = await Promise.race([probe(), timeout]);
        return last;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type ReadinessProbe = ReturnType<typeof createReadinessProbe>;
