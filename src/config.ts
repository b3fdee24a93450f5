/**
 * The configuration: the only module that reads the environment (readEnv), declared variable by
 * variable in config/env.schema.ts. Everything else receives a Config.
 */
export { demoPartWarnings } from './config/demo.js';
export { ConfigError, type Env, parseEnv, readEnv } from './config/env.js';
export { DEFAULT_POOL_SIZE, type EnvValues } from './config/env.schema.js';
export { loadConfig, parseDatabaseUrl } from './config/load.js';
export { STRIPE_PAYMENT_METHODS } from './config/payments.js';
export { estimatedBits, periodOf } from './config/secrets.js';
export * from './config/types.js';
