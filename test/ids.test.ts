import { describe, expect, it } from 'vitest';
import { idTime, newId, ulid } from '../src/core/ids.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const decodeTime = (id: string) => [...id.slice(0, 10)].reduce((ms, ch) => ms * 32 + ALPHABET.indexOf(ch), 0);

describe('ids', () => {
  it('are ULIDs: ten characters of time, sixteen random, in Crockford base32', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = ulid(at);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).toBe(at);
    expect(newId('trf', at)).toMatch(/^trf_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(() => ulid(2 ** 48)).toThrow(RangeError);
    expect(() => ulid(Number.NaN)).toThrow(RangeError);
    expect(idTime(newId('pst', at))).toBe(at);
    expect(idTime('pst_not-an-id')).toBeNull();
  });

  it('sort in the order they were made, within a millisecond and when the clock steps back', () => {
    const at = Date.UTC(2030, 0, 1);
    const made = [...Array.from({ length: 5000 }, () => ulid(at)), ulid(at - 10), ulid(at + 1)];
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    // Stepping back keeps the last time; a later millisecond starts from fresh random bits.
    expect(decodeTime(made[5000]!)).toBe(at);
    expect(decodeTime(made[5001]!)).toBe(at + 1);
  });

  it('draw the random part fresh for each new millisecond', () => {
    const start = Date.UTC(2031, 0, 1);
    const randoms = Array.from({ length: 2000 }, (_, i) => ulid(start + i).slice(10));
    expect(new Set(randoms).size).toBe(randoms.length);
    // Every digit appears in every position: the bits are not stuck.
    for (let position = 0; position < 16; position++) {
      expect(new Set(randoms.map((r) => r[position])).size).toBe(32);
    }
  });

  // Last: after the largest time every later call counts as the clock stepping back.
  it('reach the largest time ULID can hold', () => {
    expect(ulid(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
  });
});
