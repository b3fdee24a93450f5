import { type TSchema, Type } from 'typebox';
import { type EnvName, EnvSchema, type EnvValues } from './env.schema.js';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The variables esimdesk knows, in the schema's order. */
export const ENV_NAMES = Object.keys(EnvSchema.properties) as EnvName[];

/** Copies the variables esimdesk knows from the process environment. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const env: Env = {};
  for (const name of ENV_NAMES) env[name] = source[name];
  return env;
}

/**
 * Reads every variable of the schema from `env`: unset or empty takes the default (`defaults`, then
 * the schema's), anything else must be of the declared type and within its bounds, or a ConfigError
 * names the variable and the value.
 */
export function parseEnv(env: Env, defaults: Partial<EnvValues> = {}): EnvValues {
  const values: Record<string, unknown> = {};
  for (const name of ENV_NAMES) {
    const schema: TSchema & { default?: unknown } = EnvSchema.properties[name];
    const raw = env[name];
    values[name] =
      raw === undefined || raw === '' ? (defaults[name] ?? schema.default) : parse(name, schema, raw);
  }
  return values as EnvValues;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function parse(name: string, schema: TSchema, raw: string): unknown {
  if (Type.IsInteger(schema)) {
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
    const value = Number(raw);
    const { minimum = 0, maximum = Number.MAX_SAFE_INTEGER } = schema as {
      minimum?: number;
      maximum?: number;
    };
    if (value < minimum || value > maximum)
      throw new ConfigError(name, `must be between ${minimum} and ${maximum}, got ${value}`);
    return value;
  }
  if (Type.IsBoolean(schema)) {
    if (TRUE.includes(raw)) return true;
    if (FALSE.includes(raw)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }
  if (Type.IsEnum(schema)) {
    const allowed = schema.enum.map(String);
    if (!allowed.includes(raw))
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return raw;
  }
  if (Type.IsString(schema)) {
    const { pattern, allowed } = schema as { pattern?: string; allowed?: string };
    if (pattern !== undefined && !new RegExp(pattern).test(raw))
      throw new ConfigError(name, `must be ${allowed}, got "${raw}"`);
    return raw;
  }
  throw new Error(`${name}: the configuration schema declares a type the reader does not know`);
}
