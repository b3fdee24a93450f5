import type { Browser } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { navTo } from './nav.js';

describeBrowser('lines and devices in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({
      env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' },
      addons: true,
      runner: true,
    });
    ({ t, browser } = suite);
    return suite.close;
  });

  for (const { locale, viewport, texts } of [
    {
      locale: 'en',
      viewport: VIEWPORTS.desktop,
      texts: {
        ready: 'Ready to install',
        installed: 'Installed',
        active: 'Active',
        search: 'Japan',
        bigger: 'Japan 20 GB',
        phoneName: 'Travel phone',
      },
    },
    {
      locale: 'zh-CN',
      viewport: VIEWPORTS.phone,
      texts: {
        ready: '可安装',
        installed: '已安装',
        active: '使用中',
        search: '日本',
        bigger: '日本 20GB',
        phoneName: '旅行手机',
      },
    },
  ]) {
    it(`buys a plan, shows the QR code, installs on a simulated device and unbinds it (${locale})`, async () => {
      const context = await browser.newContext({ locale, viewport });
      await signInContext(context, t, `lines-${locale}@example.com`, locale);
      const page = await context.newPage();
      const { topUp, signIn } = await import('../helpers/session.js');
      await topUp(t, await signIn(t, `lines-${locale}@example.com`), 30_000);

      await page.goto(`${t.url}/plans`);
      await page.getByTestId('plan-search').fill(texts.search);
      await page.getByTestId('buy-plan').first().click();
      await page.getByTestId('checkout-confirm').click();
      await page.getByTestId('line-title').waitFor();
      await expect
        .poll(() => page.getByTestId('esim-state').first().textContent(), { timeout: 10_000 })
        .toBe(texts.ready);
      await page.getByTestId('esim-qr').waitFor();
      expect(await page.getByTestId('activation-code').textContent()).toMatch(/^LPA:1\$smdp\.example\.com\$/);
      await shot(page, `line-${locale}`);

      await page.getByTestId('simulate-install').click();
      await expect
        .poll(() => page.getByTestId('esim-state').first().textContent(), { timeout: 10_000 })
        .toBe(texts.installed);
      await expect.poll(() => page.getByTestId('line-status').textContent()).toBe(texts.active);

      await page.getByTestId('network-operator').click();
      await page.getByRole('option', { name: /NTT docomo/ }).click();
      await page.getByTestId('network-saved').waitFor();
      await page.getByTestId('addon-data-1gb').click();
      await page.getByTestId('checkout-confirm').click();
      await page.getByTestId('addon-done').waitFor();
      await page.getByTestId('plan-change-select').click();
      await page.getByRole('option', { name: new RegExp(texts.bigger) }).click();
      await page.getByTestId('plan-change-quote').waitFor();
      await page.getByTestId('plan-change-confirm').click();
      await expect.poll(() => page.getByTestId('line-title').textContent()).toContain(texts.bigger);
      await shot(page, `line-active-${locale}`);

      await navTo(page, 'devices');
      await expect.poll(() => page.getByTestId('device-card').count()).toBe(1);
      await page.getByTestId('rename').click();
      await page.getByTestId('rename-input').fill(texts.phoneName);
      await page.getByTestId('rename-save').click();
      await expect.poll(() => page.getByTestId('device-name').textContent()).toBe(texts.phoneName);
      await shot(page, `devices-${locale}`);
      await page.getByTestId('unbind').click();
      await page.getByTestId('unbind-confirm').click();
      await page.getByTestId('no-devices').waitFor();
      await context.close();
    });
  }
});
