import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, signIn, signInStaff } from '../helpers/session.js';

/** Serious and critical axe findings on the page as it is now, as readable lines. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describeBrowser('accessibility in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let ids: { line: string; ticket: string; customer: string };
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    browser = await launchBrowser();
    const { session, lineId } = await activeLine(t, 'a11y@example.com');
    const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'Help with roaming', message: 'Does it work in Osaka?' },
      headers: session.headers,
    });
    await api(t, 'POST', '/api/v1/me/exports', { headers: session.headers });
    await t.ctx.runner.drain();
    await signInStaff(t, 'a11y.admin@operator.example.com', 'admin');
    ids = { line: lineId, ticket: ticket.body.id, customer: session.account.id };
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function audit(
    who: string | null,
    paths: string[],
    locale: 'en' | 'zh-CN',
    viewport: keyof typeof VIEWPORTS,
  ) {
    const context = await browser.newContext({
      locale: locale === 'en' ? 'en-US' : 'zh-CN',
      viewport: VIEWPORTS[viewport],
    });
    if (who) await signInContext(context, t, who, locale);
    const page = await context.newPage();
    const found: string[] = [];
    for (const path of paths) {
      await page.goto(`${t.url}${path}`);
      await page.locator('main').first().waitFor();
      await page.waitForLoadState('networkidle');
      for (const v of await violations(page)) found.push(`${path}: ${v}`);
    }
    await context.close();
    return found;
  }

  it('finds no serious or critical problem on any subscriber page, in either language', async () => {
    const pages = [
      '/',
      '/plans',
      '/account',
      '/wallet',
      '/lines',
      `/lines/${ids.line}`,
      '/devices',
      '/usage',
      '/backup',
      '/account/close',
      '/help',
      '/help?new=1',
      `/help/${ids.ticket}`,
      '/no-such-page',
    ];
    expect(
      await audit(null, ['/', '/sign-in', '/plans', '/dev/mailbox?to=a11y@example.com'], 'en', 'phone'),
    ).toEqual([]);
    // Every page, each loaded and audited: slow on a busy machine, hence the longer limit.
    expect(await audit('a11y@example.com', pages, 'en', 'desktop')).toEqual([]);
    expect(await audit('a11y@example.com', pages, 'zh-CN', 'phone')).toEqual([]);
  }, 300_000);

  it('finds no serious or critical problem on any staff page', async () => {
    const pages = [
      '/staff',
      '/staff/tickets',
      `/staff/tickets/${ids.ticket}`,
      '/staff/customers?q=a11y%40example.com',
      `/staff/customers/${ids.customer}`,
      '/staff/cancellations',
      '/staff/policies',
      '/staff/members',
      '/staff/jobs',
      '/staff/audit',
    ];
    expect(await audit('a11y.admin@operator.example.com', pages, 'en', 'desktop')).toEqual([]);
  }, 120_000);

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
