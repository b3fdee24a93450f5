import { randomFillSync } from 'node:crypto';

/** Prefixes by kind of object, so an id says what it names (acc_01J…, job_01J…). */
export type IdPrefix =
  | 'acc'
  | 'rrt'
  | 'job'
  | 'req'
  | 'ses'
  | 'chl'
  | 'msg'
  | 'aud'
  | 'dmx'
  | 'lac'
  | 'pst'
  | 'pay'
  | 'rfd'
  | 'pln'
  | 'trf'
  | 'lin'
  | 'esm'
  | 'dev'
  | 'nwa'
  | 'add'
  | 'lad'
  | 'key'
  | 'usg'
  | 'exp'
  | 'cev'
  | 'tkt'
  | 'tkm'
  | 'adj'
  | 'uhd'
  | 'sif'
  | 'rck'
  | 'fft';

// Crockford's base32, as ULID (https://github.com/ulid/spec) spells it.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;
const MAX_TIME = 2 ** 48 - 1;

// Random bytes drawn from the system's CSPRNG a few thousand at a time: asking it once per character
// (as the ulid package does) was a twentieth of a money transfer's CPU.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

let lastTime = -1;
let lastTimeText = '';
const lastRandom = new Uint8Array(RANDOM_LENGTH);

function encodeTime(ms: number): string {
  let text = '';
  for (let i = 0; i < TIME_LENGTH; i++) {
    const digit = ms % 32;
    text = ALPHABET[digit] + text;
    ms = (ms - digit) / 32;
  }
  return text;
}

/**
 * A monotonic ULID: 48 bits of milliseconds then 80 random bits. Within one millisecond (or if the
 * clock steps back) the random part of the previous id is incremented, so ids made by one process
 * sort in the order they were made, as the ULID specification's monotonic generator does.
 */
export function ulid(now: number = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) throw new RangeError(`not a ULID time: ${now}`);
  if (now > lastTime) {
    if (poolOffset + RANDOM_LENGTH > pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    // 256 is a multiple of 32, so the low five bits of a uniform byte are a uniform digit.
    for (let i = 0; i < RANDOM_LENGTH; i++) lastRandom[i] = pool[poolOffset++]! & 31;
    lastTime = now;
    lastTimeText = encodeTime(now);
  } else {
    let i = RANDOM_LENGTH - 1;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    if (i < 0) throw new RangeError('ULID random part exhausted within one millisecond');
    lastRandom[i]! += 1;
  }
  let text = lastTimeText;
  for (let i = 0; i < RANDOM_LENGTH; i++) text += ALPHABET[lastRandom[i]!];
  return text;
}

/** A prefixed, time-sortable, random id. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${ulid(now)}`;
}

/** When an id was made (its ULID's milliseconds), or null for text that is not one of our ids. */
export function idTime(id: string): number | null {
  const match = /^[a-z]{3}_([0-9A-HJKMNP-TV-Z]{10})[0-9A-HJKMNP-TV-Z]{16}$/.exec(id);
  if (!match) return null;
  let ms = 0;
  for (const char of match[1]!) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}
