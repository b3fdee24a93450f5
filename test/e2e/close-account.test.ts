import type { Browser } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, newKey, signIn, signInStaff } from '../helpers/session.js';

describeBrowser('closing an account in Chromium (zh-CN)', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    ({ t, browser } = suite);
    return suite.close;
  });

  it('shows the blockers, takes the request, loops through a request for information and ends 已注销', async () => {
    const { session } = await activeLine(t, 'bye@example.com', { locale: 'zh-CN' });
    await signIn(t, 'heir@example.com');
    t.ctx.runner.start();
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(context, t, 'bye@example.com', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/account`);
    await page.getByTestId('go-close').click();
    // The breadcrumb names the pages as the navigation does, the account page a link back.
    const crumb = page.getByTestId('close-breadcrumb');
    await crumb.waitFor();
    expect(await crumb.getByRole('link').textContent()).toBe('我的账户');
    expect(await crumb.textContent()).toContain('注销账户');
    await page.getByTestId('blocker-BALANCE_NOT_ZERO').waitFor();
    await page.getByTestId('blocker-DEVICES_BOUND').waitFor();
    expect(await page.getByTestId('close-start').isDisabled()).toBe(true);
    await shot(page, 'close-blocked-zh-CN');

    // Steps 1 and 2 of the article: transfer the balance away and unbind the device.
    const balance = (await api(t, 'GET', '/api/v1/me/balance', { headers: session.headers })).body.amount;
    await api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: 'heir@example.com', amount: balance },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    });
    const [device] = (await api(t, 'GET', '/api/v1/me/devices', { headers: session.headers })).body.items;
    await api(t, 'DELETE', `/api/v1/me/devices/${device.id}`, { headers: session.headers });

    await page.reload();
    await page.getByTestId('eligible').waitFor();
    await page.getByTestId('reason-code').click();
    await page.getByRole('option', { name: '不再需要该号码' }).click();
    await page.getByTestId('close-start').click();
    await page.getByTestId('close-understand').click();
    await page.getByTestId('close-confirm').click();
    await expect
      .poll(() => page.getByTestId('cancellation-status').textContent(), { timeout: 10_000 })
      .toBe('审核中');

    const reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    const [item] = (await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })).body
      .items;
    await api(t, 'POST', `/api/v1/staff/cancellations/${item.id}/decision`, {
      body: { decision: 'request_info', note: '请确认已导出数据' },
      headers: reviewer.headers,
    });
    await page.reload();
    await page.getByTestId('resubmit-info').fill('已导出');
    await page.getByTestId('resubmit').click();
    await expect.poll(() => page.getByTestId('cancellation-status').textContent()).toBe('审核中');
    await shot(page, 'close-request-zh-CN');

    // The reviewer approves in the staff console.
    const staff = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.desktop });
    await signInContext(staff, t, 'reviewer@operator.example.com', 'zh-CN');
    const console = await staff.newPage();
    await console.goto(`${t.url}/staff/cancellations`);
    await console.getByTestId('review-approve').click();
    await console.getByTestId('review-confirm-yes').click();
    await expect
      .poll(
        async () =>
          (await api(t, 'GET', '/api/v1/staff/cancellations?status=completed', { headers: reviewer.headers }))
            .body.items.length,
        { timeout: 10_000 },
      )
      .toBe(1);
    await shot(console, 'review-zh-CN');
    await staff.close();

    // The confirmation is delivered by the runner shortly after the request completes.
    const confirmed = async () =>
      (await api(t, 'GET', '/api/v1/dev/messages?to=bye@example.com')).body.items.some(
        (m: { subject: string; channel: string }) => m.channel === 'email' && m.subject === '您的账户已注销',
      );
    await expect.poll(confirmed, { timeout: 10_000 }).toBe(true);

    // Signing in again shows 已注销.
    await context.clearCookies();
    await signInContext(context, t, 'bye@example.com', 'zh-CN');
    await page.goto(`${t.url}/account`);
    await expect.poll(() => page.getByTestId('account-status').textContent()).toBe('已注销');
    await shot(page, 'deregistered-zh-CN');
    await context.close();
  });
});
