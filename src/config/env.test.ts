import fs from 'node:fs';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { configTable, TABLE_END, TABLE_START, withConfigTable } from './docs.js';
import { ConfigError, ENV_NAMES, parseEnv, readEnv } from './env.js';
import { EnvSchema } from './env.schema.js';

const README = new URL('../../README.md', import.meta.url);

describe('the environment schema', () => {
  it('is what README.md documents (else run npm run gen:config-docs)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(readme).toContain(TABLE_START);
    expect(readme).toContain(TABLE_END);
    // The whole README, so a difference shows as the rows that differ.
    expect(readme).toBe(withConfigTable(readme, configTable()));
  });

  it('gives every variable a description, and a default to every one that is not optional', () => {
    const required = new Set<string>(EnvSchema.required);
    for (const name of ENV_NAMES) {
      const schema = EnvSchema.properties[name] as { default?: unknown; description?: string };
      expect(schema.description, name).toBeTruthy();
      expect(schema.default !== undefined, name).toBe(required.has(name));
    }
  });

  it('is what readEnv copies from the process environment, and nothing else', () => {
    const source = Object.fromEntries(ENV_NAMES.map((name) => [name, `${name}-value`]));
    expect(readEnv({ ...source, PATH: '/usr/bin', HOME: '/root' })).toEqual(source);
  });
});

function parseError(env: Record<string, string>): string {
  try {
    parseEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies the defaults to unset and empty variables, and the caller’s before the schema’s', () => {
    const values = parseEnv({ PORT: '', RUNNER_ENABLED: undefined });
    expect(values.PORT).toBe(8080);
    expect(values.RUNNER_ENABLED).toBe(true);
    expect(values.SMDP_URL).toBeUndefined();
    expect(parseEnv({}, { ESIMDESK_MODE: 'production' }).ESIMDESK_MODE).toBe('production');
    expect(parseEnv({ ESIMDESK_MODE: 'demo' }, { ESIMDESK_MODE: 'production' }).ESIMDESK_MODE).toBe('demo');
  });

  it('reads whole numbers within bounds, booleans and enums', () => {
    const values = parseEnv({ PORT: '0', CANCELLATION_AUTO_APPROVE: 'yes', SQLITE_SYNCHRONOUS: 'NORMAL' });
    expect(values).toMatchObject({ PORT: 0, CANCELLATION_AUTO_APPROVE: true, SQLITE_SYNCHRONOUS: 'NORMAL' });
    expect(parseEnv({ RUNNER_ENABLED: 'off' }).RUNNER_ENABLED).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT: must be a whole number, got "eighty"'],
    [{ PORT: '-1' }, 'PORT: must be a whole number, got "-1"'],
    [{ PORT: '70000' }, 'PORT: must be between 0 and 65535, got 70000'],
    [{ RUNNER_ENABLED: 'maybe' }, 'RUNNER_ENABLED: must be true or false, got "maybe"'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [{ ICCID_PREFIX: '4412' }, 'ICCID_PREFIX: must be 89 followed by up to 12 digits, got "4412"'],
    [{ NUMBER_PREFIX: '86170' }, 'NUMBER_PREFIX: must be + and digits, got "86170"'],
  ])('refuses %o with one line: %s', (env, line) => {
    expect(parseError(env)).toBe(line);
  });
});

describe('parseEnv agrees with the schema', () => {
  it('produces values the schema accepts', () => {
    for (const env of [
      {},
      { PORT: '0', ES2_PORT: '65535', RUNNER_ENABLED: 'no', LOG_LEVEL: 'silent', SMDP_URL: 'https://x' },
    ])
      expect(Value.Check(EnvSchema, parseEnv(env))).toBe(true);
  });

  it.each(ENV_NAMES.filter((name) => Type.IsInteger(EnvSchema.properties[name])))(
    '%s takes its bounds and refuses one past them',
    (name) => {
      const { minimum, maximum } = EnvSchema.properties[name] as unknown as {
        minimum: number;
        maximum: number;
      };
      expect(parseEnv({ [name]: String(minimum) })[name]).toBe(minimum);
      expect(parseEnv({ [name]: String(maximum) })[name]).toBe(maximum);
      expect(() => parseEnv({ [name]: String(maximum + 1) })).toThrow(`${name}: must be between`);
      if (minimum > 0)
        expect(() => parseEnv({ [name]: String(minimum - 1) })).toThrow(`${name}: must be between`);
    },
  );
});
