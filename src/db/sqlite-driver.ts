import type Sqlite from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteDialect,
} from 'kysely';

/** What the driver needs of a prepared statement (better-sqlite3's, or a caching wrapper of it). */
export interface SqliteStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  iterate(parameters: readonly unknown[]): Iterable<unknown>;
  run(parameters: readonly unknown[]): Sqlite.RunResult;
}

export interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  /** better-sqlite3's flag: whether a transaction is open on the connection. */
  readonly inTransaction: boolean;
  close(): void;
}

/** At most this many transactions share one commit, and a group stays open at most this long. */
const GROUP_MAX_MEMBERS = 64;
const GROUP_MAX_MS = 20;
const MEMBER = 'esimdesk_member';

interface Waiter {
  transaction: boolean;
  grant(): void;
}

interface Member {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit on SQLite's single connection. Transactions still run one at a time, in the order
 * they asked, each inside a savepoint; but when one finishes while another transaction is already
 * waiting, the next runs inside the same SQLite transaction instead of waiting for a commit of its
 * own. The group commits (one fsync) as soon as no transaction is waiting, before any plain query
 * runs, or at the size and age limits. A caller is answered only after its group's commit is on
 * disk, so an acknowledged write is as durable as before; a transaction that fails is rolled back
 * to its savepoint and leaves the rest of its group untouched. Plain queries never see a group's
 * uncommitted work: the group commits before the connection passes to one.
 */
class GroupCommitSqliteDriver implements Driver {
  readonly #handle: SqliteHandle;
  #held = false;
  readonly #queue: Waiter[] = [];
  #group: { members: Member[]; openedAt: number } | null = null;

  constructor(handle: SqliteHandle) {
    this.#handle = handle;
  }

  async init(): Promise<void> {}

  /** A connection takes the real one only when it first runs something (see SqliteSession). */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteSession(this.#handle, this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SqliteSession).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SqliteSession).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as SqliteSession).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as SqliteSession).release();
  }

  async destroy(): Promise<void> {
    this.#handle.close();
  }

  /**
   * Runs a statement at once, without the asynchronous connection hand-over, when that changes
   * nothing: inside a transaction (which holds the connection while its code runs), or outside one
   * while nobody holds the connection (an autocommit statement, as the slow path would run it).
   * Returns null when the statement must wait its turn.
   */
  runNow(sql: string, parameters: readonly unknown[], inTransaction: boolean): unknown[] | null {
    if (!inTransaction && this.#held) return null;
    const statement = this.#handle.prepare(sql);
    if (statement.reader) return statement.all(parameters);
    statement.run(parameters);
    return [];
  }

  /** Waits for the connection. A transaction may be handed it inside an open group. */
  lock(transaction: boolean): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((grant) => this.#queue.push({ transaction, grant }));
  }

  /** Passes the connection on, committing the open group unless the next in line may join it. */
  unlock(): void {
    const next = this.#queue[0];
    const group = this.#group;
    if (
      group &&
      !(
        next?.transaction &&
        group.members.length < GROUP_MAX_MEMBERS &&
        performance.now() - group.openedAt < GROUP_MAX_MS
      )
    ) {
      this.#commitGroup(group);
    }
    const waiter = this.#queue.shift();
    if (waiter) waiter.grant();
    else this.#held = false;
  }

  /** Called with the connection held: opens the group's SQLite transaction if none is open. */
  joinGroup(): void {
    if (this.#group) return;
    this.#handle.prepare('begin immediate').run([]);
    this.#group = { members: [], openedAt: performance.now() };
  }

  /** The member finished with its savepoint released; it is answered when the group commits. */
  enlist(): Promise<void> {
    const group = this.#group;
    if (!group) return Promise.reject(new Error('no group commit is open'));
    return new Promise((resolve, reject) => group.members.push({ resolve, reject }));
  }

  /** SQLite ended the whole transaction (an I/O error, a full disk): every member of it failed. */
  abandonGroup(error: unknown): void {
    const group = this.#group;
    this.#group = null;
    for (const member of group?.members ?? []) member.reject(error);
  }

  #commitGroup(group: { members: Member[] }): void {
    this.#group = null;
    try {
      this.#handle.prepare('commit').run([]);
    } catch (error) {
      if (this.#handle.inTransaction) this.#handle.prepare('rollback').run([]);
      for (const member of group.members) member.reject(error);
      return;
    }
    for (const member of group.members) member.resolve();
  }
}

/**
 * One Kysely connection: a plain query takes the real connection for as long as Kysely keeps this
 * one (a single statement, or a `connection()` callback); a transaction takes it as a group member.
 */
class SqliteSession implements DatabaseConnection {
  readonly #handle: SqliteHandle;
  readonly #driver: GroupCommitSqliteDriver;
  #state: 'idle' | 'query' | 'member' | 'done' = 'idle';

  constructor(handle: SqliteHandle, driver: GroupCommitSqliteDriver) {
    this.#handle = handle;
    this.#driver = driver;
  }

  async begin(): Promise<void> {
    await this.#driver.lock(true);
    try {
      this.#driver.joinGroup();
      this.#handle.prepare(`savepoint ${MEMBER}`).run([]);
    } catch (error) {
      this.#driver.unlock();
      throw error;
    }
    this.#state = 'member';
  }

  async commit(): Promise<void> {
    if (!this.#handle.inTransaction) {
      const error = new Error('SQLite ended the transaction before it could commit');
      this.#state = 'done';
      this.#driver.abandonGroup(error);
      this.#driver.unlock();
      throw error;
    }
    this.#handle.prepare(`release ${MEMBER}`).run([]);
    const committed = this.#driver.enlist();
    this.#state = 'done';
    this.#driver.unlock();
    await committed;
  }

  rollback(): void {
    // After a failed commit the member is already settled and the connection passed on.
    if (this.#state !== 'member') return;
    this.#state = 'done';
    try {
      if (this.#handle.inTransaction) {
        this.#handle.prepare(`rollback to ${MEMBER}`).run([]);
        this.#handle.prepare(`release ${MEMBER}`).run([]);
      }
      if (!this.#handle.inTransaction) {
        this.#driver.abandonGroup(new Error('SQLite rolled back the whole transaction'));
      }
    } finally {
      this.#driver.unlock();
    }
  }

  release(): void {
    if (this.#state === 'query') this.#driver.unlock();
    this.#state = 'done';
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    await this.#take();
    const statement = this.#handle.prepare(compiledQuery.sql);
    if (statement.reader) return { rows: statement.all(compiledQuery.parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(compiledQuery.parameters);
    return {
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) {
      throw new Error('SQLite can stream only select queries');
    }
    await this.#take();
    const statement = this.#handle.prepare(compiledQuery.sql);
    for (const row of statement.iterate(compiledQuery.parameters)) yield { rows: [row as R] };
  }

  async #take(): Promise<void> {
    if (this.#state === 'member' || this.#state === 'query') return;
    if (this.#state === 'done') throw new Error('this connection was already released');
    await this.#driver.lock(false);
    this.#state = 'query';
  }
}

/** Kysely's SQLite dialect (query compiler, adapter, introspection) with the group-commit driver. */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #driver: GroupCommitSqliteDriver;

  constructor(handle: SqliteHandle) {
    super({ database: handle as never });
    this.#driver = new GroupCommitSqliteDriver(handle);
  }

  override createDriver(): Driver {
    return this.#driver;
  }

  /** See GroupCommitSqliteDriver.runNow. */
  runNow(sql: string, parameters: readonly unknown[], inTransaction: boolean): unknown[] | null {
    return this.#driver.runNow(sql, parameters, inTransaction);
  }
}
