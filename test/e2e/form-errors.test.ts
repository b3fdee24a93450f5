import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, VIEWPORTS } from '../helpers/browser.js';

describeBrowser('form errors in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("shows the API's message about a field under that field, not again in the page's alert", async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    await page.goto(`${t.url}/sign-in`);
    await page.getByText('Phone (SMS)').click();
    await page.getByTestId('sign-in-to').fill('12');
    await page.getByTestId('send-code').click();
    const under = page.locator('.mantine-TextInput-error');
    await expect.poll(() => under.textContent(), { timeout: 10_000 }).toContain('not a valid phone number');
    expect(await page.getByTestId('sign-in-to').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('sign-in-error').count()).toBe(0);
    await context.close();
  });
});
