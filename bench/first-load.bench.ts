import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CDPSession, chromium, type Page } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeAppContext, createAppContext } from '../src/context.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { CHROMIUM_ARGS, TEST_ENV } from '../test/helpers/env.js';
import type { BenchRow } from './harness.js';

/**
 * First load of the built subscriber app (dist/web: run `npm run build:web` first) in Chromium on
 * Lighthouse's mobile profile: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up (DevTools protocol
 * Network.emulateNetworkConditions) and the CPU slowed 4× (Emulation.setCPUThrottlingRate).
 * Per page: the JavaScript bytes on the wire (compressed, as Chromium received them) beside the same
 * scripts uncompressed, and the Largest Contentful Paint cold (empty cache) and warm (reload, cache kept),
 * the median of RUNS loads each.
 */
const RUNS = 5;
const PAGES = [
  { name: 'home', path: '/' },
  { name: 'plans', path: '/plans' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function throttle(cdp: CDPSession): Promise<void> {
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1024 * 1024) / 8,
    uploadThroughput: (750 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
}

/** Records every script's bytes on the wire and decoded size while `load` runs. */
async function scripts(cdp: CDPSession, load: () => Promise<void>) {
  const types = new Map<string, string>();
  const wire = new Map<string, number>();
  const decoded = new Map<string, number>();
  const onResponse = (e: { requestId: string; type?: string }) => types.set(e.requestId, e.type ?? '');
  const onData = (e: { requestId: string; dataLength: number }) =>
    decoded.set(e.requestId, (decoded.get(e.requestId) ?? 0) + e.dataLength);
  const onFinished = (e: { requestId: string; encodedDataLength: number }) =>
    wire.set(e.requestId, e.encodedDataLength);
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.dataReceived', onData);
  cdp.on('Network.loadingFinished', onFinished);
  await load();
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.dataReceived', onData);
  cdp.off('Network.loadingFinished', onFinished);
  let onWire = 0;
  let raw = 0;
  for (const [id, type] of types) {
    if (type !== 'Script') continue;
    onWire += wire.get(id) ?? 0;
    raw += decoded.get(id) ?? 0;
  }
  return { onWire, raw };
}

const LCP_OBSERVER = `
  window.__lcp = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__lcp = e.startTime;
  }).observe({ type: 'largest-contentful-paint', buffered: true });
`;

async function lcp(page: Page): Promise<number> {
  await page.waitForLoadState('networkidle');
  // LCP is final once the page stops painting larger things; a click would end it, so wait briefly instead.
  await page.waitForTimeout(500);
  return page.evaluate(() => (window as unknown as { __lcp: number }).__lcp);
}

export async function run(): Promise<BenchRow[]> {
  const webDir = path.resolve('dist/web');
  if (!fs.existsSync(path.join(webDir, 'index.html'))) {
    throw new Error('dist/web is missing: run npm run build:web first');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-bench-'));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: path.join(dir, 'bench.db'),
    RUNNER_ENABLED: 'false',
  });
  const ctx = createAppContext(config);
  await migrateToLatest(ctx.database.db);
  await ctx.catalog.seedDemo();
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const browser = await chromium.launch({
    executablePath: TEST_ENV.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const rows: BenchRow[] = [];
  try {
    for (const target of PAGES) {
      const cold: number[] = [];
      const warm: number[] = [];
      const wire: number[] = [];
      const raw: number[] = [];
      const warmWire: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext({
          viewport: { width: 390, height: 844 },
          locale: 'en-US',
          isMobile: true,
          hasTouch: true,
        });
        await context.addInitScript(LCP_OBSERVER);
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await throttle(cdp);
        let first = 0;
        const coldJs = await scripts(cdp, async () => {
          await page.goto(`${base}${target.path}`);
          first = await lcp(page);
        });
        cold.push(first);
        wire.push(coldJs.onWire);
        raw.push(coldJs.raw);
        let again = 0;
        const warmJs = await scripts(cdp, async () => {
          await page.goto(`${base}${target.path}`);
          again = await lcp(page);
        });
        warm.push(again);
        warmWire.push(warmJs.onWire);
        await context.close();
      }
      const kb = (n: number) => n / 1024;
      rows.push(
        {
          name: `first-load JavaScript on the wire, ${target.name} (compressed, Slow 4G profile)`,
          value: kb(median(wire)),
          unit: 'KB',
          baseline: { name: 'the same scripts uncompressed', value: kb(median(raw)) },
          goal: '≤ 200 KB',
        },
        {
          name: `JavaScript on the wire, ${target.name}, warm (reload)`,
          value: kb(median(warmWire)),
          unit: 'KB',
        },
        {
          name: `LCP ${target.name}, cold (Slow 4G, CPU 4× slower, median of ${RUNS})`,
          value: median(cold),
          unit: 'ms',
          goal: '≤ 2500 ms',
        },
        {
          name: `LCP ${target.name}, warm (reload, median of ${RUNS})`,
          value: median(warm),
          unit: 'ms',
          goal: '≤ 2500 ms',
        },
      );
    }
  } finally {
    await browser.close();
    await app.close();
    await closeAppContext(ctx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
