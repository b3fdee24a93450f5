// One data export in a process of its own, run from the compiled server (dist/server) as the
// production runner runs it, so its time and peak memory are the export's alone.
// Run by usage.bench.ts: DATABASE_URL, EXPORT_DIR and ACCOUNT_ID come from the environment.
const dist = new URL('../dist/server/', import.meta.url);
const { loadConfig } = await import(new URL('config.js', dist).href);
const { closeAppContext, createAppContext } = await import(new URL('context.js', dist).href);
const { createLogger } = await import(new URL('core/logger.js', dist).href);

const config = loadConfig({
  LOG_LEVEL: 'silent',
  RUNNER_ENABLED: 'false',
  DATABASE_URL: process.env.DATABASE_URL,
  EXPORT_DIR: process.env.EXPORT_DIR,
});
const ctx = createAppContext(config, { logger: createLogger('silent') });
const started = performance.now();
const requested = await ctx.exports.request(process.env.ACCOUNT_ID, { type: 'system', id: 'bench' }, 'bench');
await ctx.runner.drain();
const seconds = (performance.now() - started) / 1000;
const status = await ctx.exports.status(process.env.ACCOUNT_ID, requested.id);
await closeAppContext(ctx);
// maxRSS is in kilobytes: the most memory this process (main thread and workers) ever held.
console.log(
  JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, status: status.status }),
);
