import type { Compilable, CompiledQuery, Insertable } from 'kysely';
import type { Executor } from './database.js';
import { changesIdentity } from './identity-changes.js';
import type { PipelinedConnection } from './postgres-driver.js';
import type { DB } from './schema.js';

/**
 * The SQL of the statements compiled once here. On PostgreSQL they run as named prepared statements
 * (see database.ts), so the server parses and plans each once per connection, not on every run.
 */
export const preparedSql = new Set<string>();

/**
 * Per database (keyed by its adapter, as the caches below): runs a compiled statement at once when
 * the driver can (SQLite, see GroupCommitSqliteDriver.runNow), or answers null. Kysely's executor
 * passes a query through several promises and the connection hand-over; for a statement compiled
 * once that costs more than SQLite's work. Plugins do not see such a run: statements that change
 * accounts or sessions are never prepared (see IdentityChanges), and no plugin transforms results.
 */
export const directRunners = new WeakMap<
  object,
  (sql: string, parameters: readonly unknown[], inTransaction: boolean) => unknown[] | null
>();

/** Adapters of PostgreSQL databases whose connections pipeline (see postgres-driver.ts). */
export const pipelinedAdapters = new WeakSet<object>();

/**
 * How a statement is waited for. `now`: its rows, as usual. `later`: a write whose result the caller
 * does not need; inside a PostgreSQL transaction it is sent and not waited for — PostgreSQL runs it
 * before anything the transaction sends next, and the next statement waited for (at the latest the
 * COMMIT) fails with its error. Elsewhere it runs as `now`.
 */
type Wait = 'now' | 'later';

async function execute<R>(
  executor: Executor,
  query: CompiledQuery,
  parameters: unknown[],
  wait: Wait = 'now',
): Promise<R[]> {
  const queryExecutor = executor.getExecutor();
  const direct = directRunners.get(queryExecutor.adapter);
  const rows = direct?.(query.sql, parameters, executor.isTransaction);
  if (rows) return rows as R[];
  if (executor.isTransaction && pipelinedAdapters.has(queryExecutor.adapter)) {
    // Kysely hands a transaction's connection to one query at a time, until that query's answer is
    // in; taking the connection only to send lets the statements of Promise.all go out together.
    const sent = await queryExecutor.provideConnection(async (connection) => {
      const pipelined = connection as PipelinedConnection;
      if (wait === 'later') return pipelined.sendUnchecked(query.sql, parameters);
      return { rows: pipelined.rows(query.sql, parameters) };
    });
    return sent ? ((await sent.rows) as R[]) : [];
  }
  return (await executor.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>)).rows;
}

/**
 * Awaits statements started together — on PostgreSQL in a transaction they go out in one round trip
 * — and, if any failed, throws the error of the first in argument order (not the first to arrive),
 * so a failing check reports as it would have had they run one after another.
 */
export async function together<T extends unknown[]>(
  ...promises: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(promises);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as T;
}

/** Stands for the n-th argument while the query is compiled; never a value a caller could send. */
const slot = (n: number) => `\u0000esimdesk-arg-${n}\u0000`;

/** Whether a compiled query takes exactly the first `count` slots as its parameters, in order. */
function takesSlotsInOrder(query: CompiledQuery, count: number): boolean {
  return query.parameters.length === count && query.parameters.every((value, n) => value === slot(n));
}

interface Compiled<R> {
  query: CompiledQuery<R>;
  /** For each compiled parameter, the argument it takes, or -1 for a constant baked into the query. */
  sources: number[];
}

/**
 * A query on the hot path built and compiled once per database, then run with new arguments.
 * Building and compiling a small Kysely query costs several times what the database spends on it;
 * the SQL of such a query never changes, only its arguments. The builder receives placeholders in
 * place of the arguments and must pass them to the query unchanged (as values, not to compute with).
 */
export function prepared<A extends unknown[], R>(build: (executor: Executor, ...args: A) => Compilable<R>) {
  const cache = new WeakMap<object, Compiled<R>>();
  function compile(executor: Executor): Compiled<R> {
    const slots = Array.from({ length: build.length - 1 }, (_, n) => slot(n));
    const query = build(executor, ...(slots as unknown as A)).compile();
    // Plugins see a query when it is compiled, which here is once: the principal cache would miss
    // every later run of such a statement.
    if (changesIdentity(query.query))
      throw new Error('a statement that changes accounts or sessions cannot be prepared');
    const sources = query.parameters.map((value) => slots.indexOf(value as string));
    preparedSql.add(query.sql);
    return { query, sources };
  }
  function run(wait: Wait, executor: Executor, args: A): Promise<R[]> {
    // A database and its transactions share their dialect's adapter, and so the compiled SQL.
    const key = executor.getExecutor().adapter;
    let compiled = cache.get(key);
    if (!compiled) {
      compiled = compile(executor);
      cache.set(key, compiled);
    }
    const { query, sources } = compiled;
    const parameters = sources.map((source, i) => (source < 0 ? query.parameters[i] : args[source]));
    return execute<R>(executor, query, parameters, wait);
  }
  return Object.assign(async (executor: Executor, ...args: A): Promise<R[]> => run('now', executor, args), {
    /** Runs a write whose result is not needed without waiting for it in a transaction (see Wait). */
    later: async (executor: Executor, ...args: A): Promise<void> => {
      await run('later', executor, args);
    },
  });
}

/**
 * A query taking one list of up to `length` values (`where(column, 'in', list)`), compiled once: the
 * list is padded with nulls, which an IN list never matches, so the SQL is always the same.
 */
export function preparedList<R>(
  length: number,
  build: (executor: Executor, list: readonly string[]) => Compilable<R>,
) {
  const cache = new WeakMap<object, CompiledQuery<R>>();
  return async (executor: Executor, list: readonly string[]): Promise<R[]> => {
    if (list.length > length) throw new RangeError(`a list of ${list.length} exceeds ${length}`);
    const key = executor.getExecutor().adapter;
    let query = cache.get(key);
    if (!query) {
      query = build(
        executor,
        Array.from({ length }, (_, n) => slot(n)),
      ).compile();
      if (!takesSlotsInOrder(query, length))
        throw new Error('a prepared list query must take the list as its only parameters');
      preparedSql.add(query.sql);
      cache.set(key, query);
    }
    const parameters: unknown[] = new Array(length).fill(null);
    for (let n = 0; n < list.length; n++) parameters[n] = list[n];
    return execute<R>(executor, query, parameters);
  };
}

/**
 * Inserts many rows of one table in statements of up to `chunk` rows. The SQL of a statement with a
 * given number of rows is compiled once and reused; only the values change. For bulk loads (usage
 * records), where building the insert cost more than the database spent on it.
 */
export function bulkInsert<T extends keyof DB & string>(
  table: T,
  columns: readonly (keyof Insertable<DB[T]> & string)[],
  chunk = 500,
) {
  const cache = new WeakMap<object, Map<number, CompiledQuery>>();
  function compiled(executor: Executor, rows: number): CompiledQuery {
    const key = executor.getExecutor().adapter;
    const bySize = cache.get(key) ?? new Map<number, CompiledQuery>();
    cache.set(key, bySize);
    let query = bySize.get(rows);
    if (!query) {
      const values = Array.from({ length: rows }, (_, r) =>
        Object.fromEntries(columns.map((column, c) => [column, slot(r * columns.length + c)])),
      );
      query = executor
        .insertInto(table)
        .values(values as never)
        .compile();
      if (!takesSlotsInOrder(query, rows * columns.length))
        throw new Error(`bulk insert into ${table}: compiled parameters are not in row order`);
      // A full chunk and a single row are the sizes that repeat; the last chunk of a batch rarely does.
      if (rows === chunk || rows === 1) preparedSql.add(query.sql);
      bySize.set(rows, query);
    }
    return query;
  }
  async function insert(wait: Wait, executor: Executor, rows: readonly Insertable<DB[T]>[]) {
    for (let start = 0; start < rows.length; start += chunk) {
      const part = rows.slice(start, start + chunk);
      const query = compiled(executor, part.length);
      const parameters: unknown[] = new Array(part.length * columns.length);
      let n = 0;
      for (const row of part)
        for (const column of columns) parameters[n++] = row[column as keyof typeof row] ?? null;
      await execute(executor, query, parameters, wait);
    }
  }
  return Object.assign(
    (executor: Executor, rows: readonly Insertable<DB[T]>[]): Promise<void> => insert('now', executor, rows),
    {
      /** Inserts without waiting for the rows in a transaction (see Wait). */
      later: (executor: Executor, rows: readonly Insertable<DB[T]>[]): Promise<void> =>
        insert('later', executor, rows),
    },
  );
}
