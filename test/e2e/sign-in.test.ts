import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, VIEWPORTS } from '../helpers/browser.js';
import { navTo } from './nav.js';

/** Reads the newest code for `to` from the dev mailbox page, as a demo visitor would. */
async function codeFromMailbox(browser: Browser, url: string, to: string, locale: string): Promise<string> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await page.goto(`${url}/dev/mailbox?to=${encodeURIComponent(to)}`);
  const text = await page.getByTestId('mailbox-text').first().textContent({ timeout: 15_000 });
  await context.close();
  return /(\d{6})/.exec(text ?? '')![1]!;
}

describeBrowser('sign-in in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { BRAND_NAME: 'Skyline Mobile' } });
    t.ctx.runner.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const { locale, to, texts, viewport } of [
    {
      locale: 'en-US',
      to: 'e2e.en@example.com',
      viewport: VIEWPORTS.desktop,
      texts: { welcome: 'My account', active: 'Active', send: 'Send code' },
    },
    {
      locale: 'zh-CN',
      to: '+8613900139000',
      viewport: VIEWPORTS.phone,
      texts: { welcome: '我的账户', active: '正常', send: '发送验证码' },
    },
  ]) {
    it(`signs a subscriber in with the code from the dev mailbox and out again (${locale})`, async () => {
      const context = await browser.newContext({ locale, viewport });
      const page = await context.newPage();
      await page.goto(t.url);
      await page.getByTestId('home-cta').click();
      if (to.startsWith('+')) await page.getByText(locale === 'zh-CN' ? '手机短信' : 'Phone (SMS)').click();
      await page.getByTestId('sign-in-to').fill(to);
      await shot(page, `sign-in-${locale}`);
      await page.getByRole('button', { name: texts.send }).click();
      await page.getByTestId('code-input').first().waitFor();
      expect(await page.getByTestId('dev-mailbox-hint').isVisible()).toBe(true);

      const code = await codeFromMailbox(browser, t.url, to, locale);
      await page.locator('[data-testid="code-input"] input').first().click();
      await page.keyboard.type(code);
      // A fresh sign-in lands on the subscriber's home; the account page is one tap away.
      await page.getByTestId('home-me-title').waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      await navTo(page, 'account');
      await page.getByTestId('account-title').waitFor();
      expect(await page.getByTestId('account-title').textContent()).toBe(texts.welcome);
      expect(await page.getByTestId('account-status').textContent()).toBe(texts.active);
      await shot(page, `account-${locale}`);

      const signedOut = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/session'));
      await page.getByTestId('sign-out').click();
      expect((await signedOut).status()).toBe(204);
      await page
        .getByTestId('home-title')
        .waitFor({ timeout: 5000 })
        .catch(async (e) => {
          console.log('URL', page.url(), await page.content());
          throw e;
        });
      await page.goto(`${t.url}/account`);
      await page.getByTestId('sign-in-to').waitFor();
      await context.close();
    });
  }

  it('lands staff in the staff console with the audit trail for admins', async () => {
    await t.ctx.identity.addStaff(
      { email: 'ops@operator.example.com', role: 'admin' },
      { actor: { type: 'system', id: 'test' } },
    );
    const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    await page.goto(`${t.url}/sign-in`);
    await page.getByTestId('sign-in-to').fill('ops@operator.example.com');
    await page.getByTestId('send-code').click();
    await page.getByTestId('code-input').first().waitFor();
    const code = await codeFromMailbox(browser, t.url, 'ops@operator.example.com', 'en-US');
    await page.locator('[data-testid="code-input"] input').first().click();
    await page.keyboard.type(code);
    await page.getByTestId('staff-title').waitFor();
    await shot(page, 'staff-dashboard-en');
    await page.getByTestId('staff-nav-audit').click();
    await page.getByTestId('audit-table').getByText('session.created').first().waitFor();
    await shot(page, 'staff-en');
    await context.close();
  });
});
