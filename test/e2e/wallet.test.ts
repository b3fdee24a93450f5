import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { balanceOf, signIn, topUp } from '../helpers/session.js';

describeBrowser('wallet in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY' } });
    t.ctx.runner.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('tops up, transfers to a second subscriber, refunds the rest and ends at zero', async () => {
    const friend = await signIn(t, 'friend@example.com');
    const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
    await signInContext(context, t, 'wallet.owner@example.com');
    const page = await context.newPage();
    await page.goto(`${t.url}/wallet`);
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('CN¥0.00');
    expect(await page.getByTestId('test-mode').isVisible()).toBe(true);

    await page.getByTestId('topup-amount').fill('120');
    await page.getByTestId('topup-submit').click();
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('CN¥120.00');

    await page.getByTestId('tab-transfer').click();
    await page.getByTestId('transfer-to').fill('friend@example.com');
    await page.getByTestId('transfer-amount').fill('45.5');
    await page.getByTestId('transfer-review').click();
    await expect
      .poll(() => page.getByTestId('transfer-confirm-text').textContent())
      .toContain('f***@example.com');
    await page.getByTestId('transfer-confirm').click();
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('CN¥74.50');

    await page.getByTestId('tab-refund').click();
    await expect.poll(() => page.getByTestId('refundable').textContent()).toContain('CN¥74.50');
    await page.getByTestId('refund-all').click();
    await page.getByTestId('refund-submit').click();
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('CN¥0.00');
    await expect.poll(() => page.getByTestId('statement-line').count()).toBe(3);
    const kinds = await page.getByTestId('statement-line').allTextContents();
    expect(kinds[0]).toContain('Refund');
    expect(kinds[1]).toContain('Transfer to f***@example.com'); // whom, masked
    expect(kinds[2]).toContain('Top-up');
    await shot(page, 'wallet-en-desktop');
    expect(await balanceOf(t, friend)).toBe(4550);
    await context.close();
  });

  it('loads older statement lines as the subscriber scrolls down', async () => {
    const scroller = await signIn(t, 'scroller@example.com');
    for (let i = 1; i <= 25; i++) expect((await topUp(t, scroller, i * 100)).status).toBe(201);
    const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.phone });
    await signInContext(context, t, 'scroller@example.com');
    const page = await context.newPage();
    await page.goto(`${t.url}/wallet`);
    await expect.poll(() => page.getByTestId('statement-line').count()).toBe(20);
    await page.mouse.wheel(0, 20_000);
    await expect.poll(() => page.getByTestId('statement-line').count()).toBe(25);
    expect(await page.getByTestId('statement-line').last().textContent()).toContain('CN¥1.00');
    await context.close();
  });

  it('shows the wallet in Chinese on a phone', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(context, t, '+8613700137000', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/wallet`);
    await page.getByText('账单明细').waitFor();
    await page.getByTestId('topup-amount').fill('50');
    await page.getByTestId('topup-submit').click();
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('¥50.00');
    await shot(page, 'wallet-zh-CN-phone');
    await context.close();
  });
});
