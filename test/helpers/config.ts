import { ConfigError, loadConfig } from '../../src/config.js';

/** A secret production accepts (ESIMDESK_SECRET and the like): long and random enough. */
export const STRONG_SECRET = '9c4e1f0b7a3d58e2c6b1f4a09d7e3c5b8a2f6d1e';

/** The ConfigError loadConfig throws for `env`; throws itself when loadConfig accepts `env`. */
export function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
