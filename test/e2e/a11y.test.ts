import type { Browser } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { api, signIn } from '../helpers/session.js';
import { violations } from './a11y-audit.js';

// The axe audits of every page, in both languages at both sizes: a11y-subscriber.test.ts and
// a11y-staff.test.ts (separate files, so they run side by side).
describeBrowser('accessibility in Chromium: the keyboard', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY' } });
    ({ t, browser } = suite);
    return suite.close;
  });

  it('lets a keyboard-only subscriber apply to close the account', async () => {
    const leaver = await signIn(t, 'keyboard@example.com');
    const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
    await signInContext(context, t, 'keyboard@example.com');
    const page = await context.newPage();
    await page.goto(`${t.url}/account/close`);
    await page.getByTestId('eligible').waitFor();
    // Tab to the reason text, type, tab on to the button and press it; then confirm in the dialog.
    const focusOn = async (testId: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (
          await page
            .getByTestId(testId)
            .evaluate((el) => el === document.activeElement || el.contains(document.activeElement))
        )
          return;
      }
      throw new Error(`could not reach ${testId} with the Tab key`);
    };
    await focusOn('reason-text');
    await page.keyboard.type('Moving abroad');
    await focusOn('close-start');
    await page.keyboard.press('Enter');
    await focusOn('close-understand');
    await page.keyboard.press('Space');
    await focusOn('close-confirm');
    await page.keyboard.press('Enter');
    await page.getByTestId('cancellation-status').waitFor();
    const latest = await api(t, 'GET', '/api/v1/me/cancellation', { headers: leaver.headers });
    expect(latest.body).toMatchObject({ status: 'submitted', reason: 'Moving abroad' });
    expect(await violations(page)).toEqual([]);
    await context.close();
  });
});
