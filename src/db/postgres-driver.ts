import { createHash } from 'node:crypto';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import { preparedSql } from './prepared.js';

/** What the driver needs of the pool: a pg.Pool whose clients run in pipeline mode. */
export interface PipelinePool {
  connect(): Promise<pg.PoolClient>;
  end(): Promise<void>;
}

const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = createHash('sha256').update(sql).digest('base64url').slice(0, 24);
    statementNames.set(sql, name);
  }
  return name;
}

const WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * One pooled PostgreSQL connection, its client in pg's pipeline mode: a statement is written to the
 * server as soon as it is sent, without waiting for the answers to those before it, and the answers
 * come back in order. A transaction uses that to save round trips: its BEGIN and the writes whose
 * result nobody reads (an audit row, a posting, an outbox job) are sent and not waited for
 * (`sendUnchecked`); the next statement that is waited for — at the latest the COMMIT — also waits for
 * them, and fails with the first of their errors. PostgreSQL runs a connection's statements in the
 * order they were sent and aborts the transaction at the first error, so nothing after a failed
 * statement takes effect and its COMMIT becomes a ROLLBACK: all or nothing, as before.
 *
 * Statements of `prepared` (src/db/prepared.ts) run as named prepared statements: PostgreSQL parses
 * and plans each once per connection instead of on every run, about a third of what a small
 * statement costs it. A migration that changes what such a statement returns (a column added to a
 * table read with `select *`) makes PostgreSQL refuse the old plan once ("cached plan must not
 * change result type", 0A000); the connection then prepares the statements afresh under new names.
 */
export class PipelinedConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  #generation = 0;
  #unchecked: Promise<unknown>[] = [];
  #discarded = false;

  constructor(client: pg.PoolClient) {
    this.#client = client;
    // pg emits 'error' on a client whose connection dies (a killed backend, a server restart); the
    // pool listens only while the client is idle, and an unheard 'error' event ends the process.
    // The statements in flight fail on their own; this connection is then discarded on release
    // and the pool opens a fresh one.
    client.on('error', () => {
      this.#discarded = true;
    });
  }

  #send(sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> {
    if (this.#discarded) return Promise.reject(new Error('PostgreSQL connection has been discarded'));
    if (!preparedSql.has(sql)) return this.#client.query(sql, parameters as unknown[]);
    const name = `esd${this.#generation}_${statementName(sql)}`;
    return this.#client
      .query({ name, text: sql, values: parameters as unknown[] })
      .catch((error: { code?: string }) => {
        if (error?.code === '0A000') this.#generation++;
        throw error;
      });
  }

  /** The answer to `sent`, once everything sent unchecked before it has answered too. */
  async #answer(sent: Promise<pg.QueryResult>): Promise<pg.QueryResult> {
    if (this.#unchecked.length === 0) return sent;
    const before = this.#unchecked;
    this.#unchecked = [];
    // Answers arrive in the order sent, so the first rejection is the first statement that failed.
    const answers = await Promise.all([...before, sent]);
    return answers[answers.length - 1] as pg.QueryResult;
  }

  /** Sends a statement and does not wait; the next statement waited for reports its failure. */
  sendUnchecked(sql: string, parameters: readonly unknown[]): void {
    const sent = this.#send(sql, parameters);
    sent.catch(() => {}); // reported through #answer
    this.#unchecked.push(sent);
  }

  /** Sends a statement now and answers its rows (see #answer). */
  async rows(sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    return (await this.#answer(this.#send(sql, parameters))).rows;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { command, rowCount, rows } = await this.#answer(
      this.#send(compiledQuery.sql, compiledQuery.parameters),
    );
    return {
      numAffectedRows: WRITES.has(command) ? BigInt(rowCount ?? 0) : undefined,
      rows: (rows ?? []) as R[],
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered on PostgreSQL (see below)
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    // A cursor keeps a portal open across round trips, which a pipelined connection cannot share.
    throw new Error('streaming queries are not supported on PostgreSQL; read in pages');
  }

  begin(settings: TransactionSettings): void {
    let sql = 'begin';
    if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) sql += ` ${settings.accessMode}`;
    this.sendUnchecked(sql, []);
  }

  async commit(): Promise<void> {
    const { command } = await this.#answer(this.#send('commit', []));
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier statement left the transaction aborted.
    if (command === 'ROLLBACK') throw new Error('the transaction was aborted and has been rolled back');
  }

  async rollback(): Promise<void> {
    const sent = this.#send('rollback', []);
    const before = this.#unchecked;
    this.#unchecked = [];
    await Promise.allSettled(before);
    try {
      await sent;
    } catch (error) {
      this.#discarded = true;
      throw error;
    }
  }

  release(): void {
    // Every transaction ends with a COMMIT or ROLLBACK that waits for what was sent unchecked.
    if (this.#unchecked.length > 0) this.#discarded = true;
    this.#client.release(this.#discarded);
  }
}

class PipelinedPostgresDriver implements Driver {
  readonly #pool: PipelinePool;
  readonly #connections = new WeakMap<pg.PoolClient, PipelinedConnection>();

  constructor(pool: PipelinePool) {
    this.#pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.#pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new PipelinedConnection(client);
      this.#connections.set(client, connection);
    }
    return connection;
  }

  /** BEGIN goes out with the transaction's first statement instead of costing a round trip of its own. */
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    (connection as PipelinedConnection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipelinedConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipelinedConnection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PipelinedConnection).release();
  }

  async destroy(): Promise<void> {
    await this.#pool.end();
  }
}

/** Kysely's PostgreSQL dialect (compiler, adapter, introspector) over the pipelined driver. */
export class PipelinedPostgresDialect extends PostgresDialect {
  readonly #pool: PipelinePool;

  constructor(pool: PipelinePool) {
    super({ pool: pool as unknown as pg.Pool });
    this.#pool = pool;
  }

  override createDriver(): Driver {
    return new PipelinedPostgresDriver(this.#pool);
  }
}
