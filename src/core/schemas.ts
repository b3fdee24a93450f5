import { type TSchema, Type } from 'typebox';

/** A value that may be null (JSON null, not absent). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The `:id` path parameter of a route about one thing (ids are short: see core/ids.ts). */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
