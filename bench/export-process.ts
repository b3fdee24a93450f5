// One data export in a process of its own, so its time and peak memory are the export's alone.
// Run by usage.bench.ts: DATABASE_URL, EXPORT_DIR and ACCOUNT_ID come from the environment.
import { loadConfig } from '../src/config.js';
import { closeAppContext, createAppContext } from '../src/context.js';
import { createLogger } from '../src/core/logger.js';

const config = loadConfig({
  LOG_LEVEL: 'silent',
  RUNNER_ENABLED: 'false',
  DATABASE_URL: process.env.DATABASE_URL,
  EXPORT_DIR: process.env.EXPORT_DIR,
});
const ctx = createAppContext(config, { logger: createLogger('silent') });
const started = performance.now();
const requested = await ctx.exports.request(
  process.env.ACCOUNT_ID!,
  { type: 'system', id: 'bench' },
  'bench',
);
await ctx.runner.drain();
const seconds = (performance.now() - started) / 1000;
const status = await ctx.exports.status(process.env.ACCOUNT_ID!, requested.id);
await closeAppContext(ctx);
// maxRSS is in kilobytes: the most memory this process ever held.
console.log(
  JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, status: status.status }),
);
