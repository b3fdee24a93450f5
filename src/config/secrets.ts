import { ConfigError } from './env.js';
import type { EnvValues } from './env.schema.js';
import type { Mode } from './types.js';

const DEMO_SECRET = 'esimdesk-demo-secret-not-for-production-use';

/** ESIMDESK_SECRET: required in production, and strong there; the public demo value in demo mode. */
export function secret(v: EnvValues, mode: Mode): string {
  const raw = v.ESIMDESK_SECRET;
  if (!raw) {
    if (mode === 'production')
      throw new ConfigError('ESIMDESK_SECRET', 'is required in production (32+ random characters)');
    return DEMO_SECRET;
  }
  if (raw.length < 32) throw new ConfigError('ESIMDESK_SECRET', 'must be at least 32 characters');
  if (mode === 'production') strongSecret('ESIMDESK_SECRET', raw);
  return raw;
}

/** Production refuses the public demo secret and values with too little in them, naming the variable. */
function strongSecret(variable: string, value: string): void {
  if (value === DEMO_SECRET)
    throw new ConfigError(variable, 'is the public demo secret; generate one (openssl rand -hex 32)');
  if (estimatedBits(value) < MIN_SECRET_BITS || periodOf(value) <= value.length / 2)
    throw new ConfigError(
      variable,
      'looks guessable (too few distinct characters); generate one with openssl rand -hex 32',
    );
}

export function webhookSecret(v: EnvValues, mode: Mode): string {
  const raw = v.PAYMENT_WEBHOOK_SECRET;
  if (!raw) return `${secret(v, mode)}:payments`;
  if (mode === 'production') {
    if (raw.length < 32) throw new ConfigError('PAYMENT_WEBHOOK_SECRET', 'must be at least 32 characters');
    strongSecret('PAYMENT_WEBHOOK_SECRET', raw);
  }
  return raw;
}

/**
 * The shortest period of a string: the smallest p such that every character repeats the one p places
 * before it ("Password1Password1…" has period 9, a random string its own length). A secret that is a
 * short piece repeated carries only that piece's worth of guessing, whatever its length.
 */
export function periodOf(value: string): number {
  // Knuth–Morris–Pratt failure function: the longest proper prefix that is also a suffix.
  const fail = new Array<number>(value.length).fill(0);
  for (let i = 1, k = 0; i < value.length; i++) {
    while (k > 0 && value[i] !== value[k]) k = fail[k - 1]!;
    if (value[i] === value[k]) k++;
    fail[i] = k;
  }
  return value.length - (fail[value.length - 1] ?? 0);
}

/** What a secret must at least carry, estimated from its own character frequencies. */
const MIN_SECRET_BITS = 96;

/**
 * Shannon entropy of the string's characters times its length: 32 identical characters give 0,
 * a 32-character hex string about 112, `openssl rand -hex 32` about 240. An estimate from the
 * string alone cannot see patterns ("abcd…"), but it refuses the repeated and short-alphabet values
 * people type by hand.
 */
export function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...value].length;
  let perChar = 0;
  for (const count of counts.values()) perChar -= (count / length) * Math.log2(count / length);
  return perChar * length;
}

export function metricsToken(v: EnvValues): string | null {
  const raw = v.METRICS_TOKEN;
  if (!raw) return null;
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw))
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 printable characters without spaces');
  return raw;
}
