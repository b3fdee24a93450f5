import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('retry backoff', () => {
  it('doubles per attempt within half and full of the exponential step', () => {
    for (const attempt of [1, 2, 3, 4, 5]) {
      const step = 1000 * 2 ** (attempt - 1);
      expect(backoffMs(attempt, { random: () => 0 })).toBe(step / 2);
      expect(backoffMs(attempt, { random: () => 1 })).toBe(step);
    }
  });

  it('never exceeds the cap', () => {
    expect(backoffMs(40, { random: () => 1, capMs: 60_000 })).toBe(60_000);
  });
});
