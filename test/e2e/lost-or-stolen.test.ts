import type { Browser } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api } from '../helpers/session.js';

describeBrowser('lost or stolen in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    ({ t, browser } = suite);
    return suite.close;
  });

  it('suspends one line and then the whole account, and resumes both after a fresh sign-in (zh-CN)', async () => {
    const { lineId, session } = await activeLine(t, 'lost@example.com', { locale: 'zh-CN' });
    await expect
      .poll(
        async () =>
          (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body.status,
      )
      .toBe('active');
    // The runner starts after the set-up, which drains the queue itself.
    t.ctx.runner.start();
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(context, t, 'lost@example.com', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/lines/${lineId}`);
    await page.getByTestId('line-suspend').click();
    await page.getByTestId('line-suspend-confirm').click();
    await expect.poll(() => page.getByTestId('line-status').textContent()).toBe('已停用');
    await shot(page, 'line-suspended-zh-CN');
    await page.getByTestId('line-resume').click();
    await expect.poll(() => page.getByTestId('line-status').textContent()).toBe('使用中');

    await page.goto(`${t.url}/account`);
    await page.getByTestId('account-suspend').click();
    await page.getByTestId('account-suspend-confirm').click();
    await expect.poll(() => page.getByTestId('account-status').textContent()).toBe('已停用');
    await shot(page, 'account-suspended-zh-CN');
    await page.getByTestId('account-resume').click();
    await expect.poll(() => page.getByTestId('account-status').textContent()).toBe('正常');
    const actions = await t.ctx.database.db.selectFrom('network_actions').select('action').execute();
    expect(actions.filter((a) => a.action === 'bar').length).toBe(2);
    expect(actions.filter((a) => a.action === 'unbar').length).toBe(2);
    await context.close();
  });
});
