import { type Browser, chromium } from 'playwright-core';
import { describe, inject } from 'vitest';
import type { Env } from '../../src/config.js';
import { startTestApp, type TestApp } from './app.js';
import { CHROMIUM_ARGS, TEST_ENV } from './env.js';

/** Debian's Chromium through playwright-core; nothing is downloaded. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: TEST_ENV.chromium, headless: true, args: CHROMIUM_ARGS });
}

export interface BrowserSuite {
  t: TestApp;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The app on SQLite with the demo catalogue (and the demo add-ons, the runner polling, when asked) and
 * Chromium: what a browser suite starts before all its tests. A failed start closes what it had started
 * and throws; `close()` is for the suite's end (return it from `beforeAll`).
 */
export async function startBrowserSuite(
  options: { env?: Env; addons?: boolean; runner?: boolean } = {},
): Promise<BrowserSuite> {
  const t = await startTestApp('sqlite', { env: options.env });
  try {
    await t.ctx.catalog.seedDemo();
    if (options.addons) await t.ctx.lineExtras.seedDemoAddons();
    if (options.runner) t.ctx.runner.start();
    const browser = await launchBrowser();
    return {
      t,
      browser,
      close: async () => {
        await browser.close();
        await t.close();
      },
    };
  } catch (error) {
    await t.close();
    throw error;
  }
}

/** A browser suite: skipped with a loud line outside CI when Chromium is missing (global setup fails in CI). */
export function describeBrowser(name: string, suite: () => void): void {
  (inject('chromium') ? describe : describe.skip)(name, suite);
}

/** With SCREENSHOT_DIR set, saves a full-page screenshot of `page` as <name>.png there (for looking, not asserting). */
export async function shot(page: import('playwright-core').Page, name: string): Promise<void> {
  const dir = process.env.SCREENSHOT_DIR;
  if (!dir) return;
  await page.evaluate(() => window.scrollTo(0, 0));
  // The whole page as one tall screen, so what is fixed to the bottom (the phone's tab bar) is drawn at
  // the bottom; a full-page capture of the usual screen would draw it halfway down, over the content.
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (viewport && height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  await page.screenshot({ path: `${dir}/${name}.png` });
  if (viewport && height > viewport.height) await page.setViewportSize(viewport);
}

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

/** Signs `to` in through the API and hands the session cookies to a browser context (skips the sign-in page). */
export async function signInContext(
  context: import('playwright-core').BrowserContext,
  app: import('./app.js').TestApp,
  to: string,
  locale = 'en',
): Promise<void> {
  const { api, latestCode } = await import('./session.js');
  const sent = await api(app, 'POST', '/api/v1/auth/codes', {
    body: { channel: to.includes('@') ? 'email' : 'sms', to },
  });
  const code = await latestCode(app, to);
  const res = await fetch(`${app.url}/api/v1/auth/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challengeId: sent.body.challengeId, code, locale }),
  });
  if (res.status !== 201) throw new Error(`sign-in failed: ${res.status}`);
  const cookies = res.headers.getSetCookie().map((c) => {
    const [pair = ''] = c.split(';');
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: app.url };
  });
  await context.addCookies(cookies);
}
