import { Type } from 'typebox';
import { AppError } from './errors.js';

/** Cursor pagination over time-sortable ids: the cursor is the last id of the previous page, opaque to clients. */
export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
};

/** The page a request asks for: its cursor, and its limit or PageQuery's default. */
export function pageOf(query: { cursor?: string; limit?: number }): { cursor?: string; limit: number } {
  return { cursor: query.cursor, limit: query.limit ?? 50 };
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]{3}_[0-9A-Z]{26}$/.test(id))
    throw new AppError(
      'VALIDATION_FAILED',
      { field: 'cursor', in: 'querystring' },
      { reason: 'cursor is not valid' },
    );
  return id;
}

/** Given limit+1 rows fetched, the page and the cursor for the next one. */
export function page<T extends { id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

export function ListOf<T extends import('typebox').TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}
