import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:fast` (TEST_TIER=fast): unit tests and the integration tests on SQLite only, without
 * the browser tests and without the tests that start processes or clusters of their own (they import
 * the process or cluster helpers). `npm test` runs everything on both databases; `npx vitest run wallet`
 * runs one module's files on both.
 */
function processLevelFiles(): string[] {
  const dir = path.resolve(import.meta.dirname, 'test');
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .filter((name) =>
      /helpers\/(process|pg-cluster|haproxy)\.js/.test(fs.readFileSync(path.join(dir, name), 'utf8')),
    )
    .map((name) => `test/${name}`);
}

const fast = process.env.TEST_TIER === 'fast';
if (fast) process.env.TEST_DIALECTS ??= 'sqlite';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: fast ? ['test/e2e/**', ...processLevelFiles(), 'node_modules/**'] : ['node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    // expect.poll waits for a condition (a webhook, a delivery) to hold; one second, the default, is
    // too short on a busy two-core machine. Only a failing wait takes longer.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
