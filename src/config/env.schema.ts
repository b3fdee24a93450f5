import { type Static, Type } from 'typebox';
import { OPERATOR_ENV } from './schema/operator.js';
import { PAYMENT_ENV } from './schema/payments.js';
import { SERVICE_ENV } from './schema/service.js';
import { TELECOM_ENV } from './schema/telecom.js';

/**
 * Every environment variable esimdesk reads, declared once (in schema/*.ts): its type, default,
 * bounds and meaning. `readEnv`/`parseEnv` (env.ts) read and check these; the README's configuration
 * table is rendered from them in this order (docs.ts, `npm run gen:config-docs`). Rules between
 * variables live in load.ts.
 *
 * Keywords beyond JSON Schema, for the README and the error line: `docDefault` (the default in words,
 * when it is computed) and `allowed` (the allowed values in words; with `pattern`, the error says
 * "must be <allowed>").
 */
export const EnvSchema = Type.Object({ ...SERVICE_ENV, ...OPERATOR_ENV, ...PAYMENT_ENV, ...TELECOM_ENV });

/** The environment after parsing: defaults applied, every value of its declared type and within bounds. */
export type EnvValues = Static<typeof EnvSchema>;
export type EnvName = keyof EnvValues;

export { PAYMENT_ADAPTERS } from './schema/payments.js';
export { DEFAULT_POOL_SIZE, LOG_LEVELS, MODES } from './schema/service.js';
