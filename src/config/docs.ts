import { type TSchema, Type } from 'typebox';
import { ENV_NAMES } from './env.js';
import { EnvSchema } from './env.schema.js';

/** The README's configuration table sits between these two lines. */
export const TABLE_START =
  '<!-- config-table: generated from src/config/env.schema.ts by `npm run gen:config-docs` -->';
export const TABLE_END = '<!-- /config-table -->';

interface Documented {
  default?: unknown;
  docDefault?: string;
  allowed?: string;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** The configuration table in Markdown, one row per variable of the schema, in its order. */
export function configTable(): string {
  const rows = ENV_NAMES.map((name) => {
    const schema = EnvSchema.properties[name] as TSchema & Documented;
    return `| \`${name}\` | ${defaultText(schema)} | ${allowedText(schema)} | ${schema.description ?? ''} |`;
  });
  return ['| variable | default | allowed | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

function defaultText(schema: Documented): string {
  if (schema.docDefault !== undefined) return schema.docDefault;
  return schema.default === undefined ? '—' : `\`${String(schema.default)}\``;
}

function allowedText(schema: TSchema & Documented): string {
  const { allowed, minimum, maximum } = schema;
  if (allowed !== undefined) return allowed;
  if (Type.IsInteger(schema)) return `${minimum}–${maximum}`;
  if (Type.IsBoolean(schema)) return '`true`, `false`';
  if (Type.IsEnum(schema)) return schema.enum.map((value) => `\`${value}\``).join(', ');
  return 'text';
}

/** `readme` with its configuration table replaced by `table`; throws when the markers are missing. */
export function withConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} section`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
