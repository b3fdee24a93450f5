import type { Compilable, CompiledQuery } from 'kysely';
import type { Executor } from './database.js';

/** Stands for the n-th argument while the query is compiled; never a value a caller could send. */
const slot = (n: number) => `\u0000esimdesk-arg-${n}\u0000`;

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
export function prepared<A extends string[], R>(build: (executor: Executor, ...args: A) => Compilable<R>) {
  const cache = new WeakMap<object, Compiled<R>>();
  function compile(executor: Executor): Compiled<R> {
    const args = Array.from({ length: build.length - 1 }, (_, n) => slot(n)) as A;
    const query = build(executor, ...args).compile();
    const sources = query.parameters.map((value) => args.indexOf(value as string));
    return { query, sources };
  }
  return async (executor: Executor, ...args: A): Promise<R[]> => {
    // A database and its transactions share their dialect's adapter, and so the compiled SQL.
    const key = executor.getExecutor().adapter;
    let compiled = cache.get(key);
    if (!compiled) {
      compiled = compile(executor);
      cache.set(key, compiled);
    }
    const { query, sources } = compiled;
    const parameters = sources.map((source, i) => (source < 0 ? query.parameters[i] : args[source]));
    const result = await executor.executeQuery<R>({ ...query, parameters });
    return result.rows;
  };
}
