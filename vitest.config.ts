import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `npm test` runs every file on both databases, each file in a fresh module graph.
 * `npm run test:fast` (TEST_TIER=fast) is the loop while coding: unit tests and the integration tests
 * on SQLite only, leaving to `npm test`
 * - the browser tests (test/e2e),
 * - the process-level tests: those that start processes or clusters of their own (they import the
 *   process, cluster or balancer helpers, or run the CLI through test/helpers/cli-entry.ts),
 * - SLOW_BY_NATURE, below.
 * It also shares the module graph between the files one worker runs (isolate: false): importing the
 * app anew for each file was most of the tier's time. A file that needs a module's first state (a
 * counter, a cache) is listed in FRESH_MODULES and still runs on its own.
 * `npx vitest run wallet` runs one module's files on both databases.
 */

/** Slow by nature, not by setup: thousands of generated cases (property tests), random inputs (fuzzing). */
const SLOW_BY_NATURE = ['test/**/*.property.test.ts', 'test/fuzz.test.ts'];

/**
 * Files that need modules in their first state. Ids only grow within a process (src/core/ids.ts), so
 * a file that reads the time in an id, or pages by it, needs no other file's clock to have run before.
 */
const FRESH_MODULES = ['test/ids.test.ts', 'test/statement-replica.test.ts'];

function processLevelFiles(): string[] {
  const dir = path.resolve(import.meta.dirname, 'test');
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .filter((name) =>
      /helpers\/(process|pg-cluster|haproxy)\.js|helpers\/cli-entry\.ts/.test(
        fs.readFileSync(path.join(dir, name), 'utf8'),
      ),
    )
    .map((name) => `test/${name}`);
}

const fast = process.env.TEST_TIER === 'fast';
if (fast) process.env.TEST_DIALECTS ??= 'sqlite';

const ALL = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const NOT_FAST = ['test/e2e/**', ...processLevelFiles(), ...SLOW_BY_NATURE, 'node_modules/**'];

export default defineConfig({
  test: {
    ...(fast
      ? {
          projects: [
            {
              extends: true,
              test: { name: 'fast', include: ALL, exclude: [...NOT_FAST, ...FRESH_MODULES], isolate: false },
            },
            { extends: true, test: { name: 'fast-fresh', include: FRESH_MODULES } },
          ],
        }
      : { include: ALL, exclude: ['node_modules/**'] }),
    globalSetup: ['test/global-setup.ts', 'test/helpers/sqlite-template.ts'],
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
