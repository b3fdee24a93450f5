import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';

/** Production with demo parts allowed (issue 17, item 13): staff see it on every console page, subscribers never. */
describeBrowser('production with demo parts in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: {
        ESIMDESK_MODE: 'production',
        ESIMDESK_SECRET: '9c4e1f0b7a3d58e2c6b1f4a09d7e3c5b8a2f6d1e',
        ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
      },
    });
    await t.ctx.identity.addStaff(
      { email: 'ops@operator.example.com', role: 'agent', locale: 'zh-CN' },
      { actor: { type: 'system', id: 'test' } },
    );
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows staff a warning naming each demo part, and shows subscribers nothing of it', async () => {
    const staff = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.desktop });
    await signInContext(staff, t, 'ops@operator.example.com', 'zh-CN');
    const page = await staff.newPage();
    await page.goto(`${t.url}/staff`);
    const warning = page.getByTestId('demo-parts-warning');
    await warning.waitFor();
    const text = (await warning.textContent()) ?? '';
    for (const part of ['SM-DP+ 模拟器', '测试支付', '开发邮箱']) expect(text).toContain(part);
    await shot(page, 'staff-production-demo-parts-zh-CN');

    const subscriber = await browser.newContext({ locale: 'en', viewport: VIEWPORTS.phone });
    await signInContext(subscriber, t, 'traveller@example.com', 'en');
    const own = await subscriber.newPage();
    await own.goto(`${t.url}/plans`);
    await own.getByTestId('brand').waitFor();
    expect(await own.getByTestId('demo-parts-warning').count()).toBe(0);
    expect(await own.getByTestId('demo-banner').count()).toBe(0);
  });
});
