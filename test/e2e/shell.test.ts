import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_WEB_DIR } from '../../src/core/paths.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, VIEWPORTS } from '../helpers/browser.js';

describeBrowser('web shell in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    if (!fs.existsSync(path.join(DEFAULT_WEB_DIR, 'index.html')))
      throw new Error('web app not built: npm run build:web');
    t = await startTestApp('sqlite', { env: { BRAND_NAME: 'Skyline Mobile' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the home page in English with the brand and the demo banner, then switches to Chinese', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    await page.goto(t.url);
    await expect.poll(() => page.getByTestId('brand').textContent()).toBe('Skyline Mobile');
    await expect.poll(() => page.getByTestId('home-title').textContent()).toContain('wherever you travel');
    expect(await page.getByTestId('demo-banner').textContent()).toContain('Demo mode');
    expect(await page.title()).toBe('Skyline Mobile');
    await shot(page, 'home-en-desktop');

    await page.getByTestId('language-switch').selectOption({ label: '简体中文' });
    await expect.poll(() => page.getByTestId('home-title').textContent()).toContain('走到哪里都能上网');
    expect(await page.getByTestId('demo-banner').textContent()).toContain('演示模式');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');

    await page.reload();
    await expect.poll(() => page.getByTestId('home-title').textContent()).toContain('走到哪里都能上网');
    await context.close();
  });

  it('opens in Chinese for a browser that prefers it, on a phone-sized screen', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    const page = await context.newPage();
    await page.goto(t.url);
    await expect.poll(() => page.getByTestId('home-title').textContent()).toContain('走到哪里都能上网');
    await shot(page, 'home-zh-CN-phone');
    await page.goto(`${t.url}/some/deep/link`);
    await expect.poll(() => page.getByTestId('not-found').textContent()).toBe('页面不存在');
    await context.close();
  });

  it('lists plans by destination and finds a country in either language', async () => {
    await t.ctx.catalog.seedDemo();
    for (const { locale, query, expected } of [
      { locale: 'en-US', query: 'Japan', expected: 'Japan 5 GB · 7 days' },
      { locale: 'zh-CN', query: '法国', expected: '欧洲 15GB · 30天（33国）' },
    ]) {
      const context = await browser.newContext({ locale, viewport: VIEWPORTS.desktop });
      const page = await context.newPage();
      await page.goto(`${t.url}/plans`);
      await page.getByTestId('plan-card').first().waitFor();
      await page.getByTestId('plan-search').fill(query);
      await expect
        .poll(() => page.getByTestId('plan-card').allTextContents())
        .toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
      await shot(page, `plans-${locale}`);
      await context.close();
    }
  });
});
