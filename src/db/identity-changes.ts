import {
  DeleteQueryNode,
  InsertQueryNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  UpdateQueryNode,
} from 'kysely';

/** The tables a signed-in principal is read from (see identity.service authenticate). */
const IDENTITY_TABLES = new Set(['accounts', 'sessions']);
/** Renewing a session's idle expiry changes no principal: a cached one keeps its own expiry. */
const RENEWAL_COLUMNS = new Set(['last_seen_at', 'expires_at']);

function tableName(node: OperationNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.kind === 'AliasNode') return tableName((node as unknown as { node: OperationNode }).node);
  if (node.kind === 'TableNode')
    return (node as unknown as { table: { identifier: { name: string } } }).table.identifier.name;
  return undefined;
}

function columnName(node: OperationNode): string | undefined {
  return node.kind === 'ColumnNode'
    ? (node as unknown as { column: { name: string } }).column.name
    : undefined;
}

/** Whether a statement may change who a session belongs to, or what that account may do. */
export function changesIdentity(node: RootOperationNode): boolean {
  if (UpdateQueryNode.is(node)) {
    if (!IDENTITY_TABLES.has(tableName(node.table) ?? '')) return false;
    return !(node.updates ?? []).every((update) => RENEWAL_COLUMNS.has(columnName(update.column) ?? ''));
  }
  if (DeleteQueryNode.is(node))
    return node.from.froms.some((from) => IDENTITY_TABLES.has(tableName(from) ?? ''));
  if (InsertQueryNode.is(node)) {
    // A new row changes no existing principal, unless an upsert rewrites one.
    return IDENTITY_TABLES.has(tableName(node.into) ?? '') && (node.onConflict?.updates?.length ?? 0) > 0;
  }
  return false;
}

/**
 * Counts the statements of this process that change accounts or sessions (any query built with
 * Kysely: `prepared` statements are checked when compiled, see prepared.ts). The principal cache of
 * identity.service drops everything it holds when the count moves, and caches nothing until the
 * change has had time to commit. A change made by another process is not seen here: there a cached
 * principal lives out its short lifetime (SESSION_CACHE_MS).
 */
export class IdentityChanges implements KyselyPlugin {
  /** Moves on every change. */
  epoch = 0;
  /** performance.now() of the latest change. */
  changedAt = Number.NEGATIVE_INFINITY;

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (changesIdentity(args.node)) {
      this.epoch++;
      this.changedAt = performance.now();
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
