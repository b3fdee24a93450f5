import type { Browser } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, signInStaff } from '../helpers/session.js';

describeBrowser('support in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    ({ t, browser } = suite);
    return suite.close;
  });

  it('a blocked subscriber asks support from the checklist; an agent finds them by phone and answers', async () => {
    const phone = '+8613800138123';
    await activeLine(t, phone, { locale: 'zh-CN' });
    t.ctx.runner.start();

    // The subscriber: 注销账户 → blocker → 联系客服, the form comes pre-filled.
    const customer = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(customer, t, phone, 'zh-CN');
    const page = await customer.newPage();
    await page.goto(`${t.url}/account/close`);
    await page.getByTestId('support-DEVICES_BOUND').click();
    await expect.poll(() => page.getByTestId('ticket-subject').inputValue()).toBe('注销账户需要帮助');
    expect(await page.getByTestId('ticket-message').inputValue()).toContain('我暂时无法注销账户');
    await page.getByTestId('ticket-message').fill('我暂时无法注销账户：旧手机已经丢了，无法解绑设备。');
    await shot(page, 'help-new-zh-CN-phone');
    await page.getByTestId('ticket-submit').click();
    await page.getByTestId('ticket-status').waitFor();
    expect(await page.getByTestId('ticket-status').textContent()).toBe('等待客服处理');
    const ticketUrl = page.url();

    // The agent: customer search by phone number → 360 → the ticket → answer.
    await signInStaff(t, 'agent@operator.example.com', 'agent');
    const staff = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
    await signInContext(staff, t, 'agent@operator.example.com');
    const console = await staff.newPage();
    await console.goto(`${t.url}/staff`);
    await console.getByTestId('staff-nav-customers').click();
    await console.getByTestId('customer-search').fill('138 0013 8123');
    await console.getByTestId('customer-search-go').click();
    await console.getByTestId('customer-result').click();
    await console.getByTestId('customer-360').waitFor();
    expect(await console.getByTestId('customer-name').textContent()).toBe(phone);
    await shot(console, 'staff-customer-360-en');
    await console.getByText('注销账户需要帮助').click();
    await console.getByTestId('conversation').waitFor();
    await console
      .getByTestId('staff-reply')
      .fill('We can unbind the lost phone for you. Reply here to confirm.');
    await console.getByTestId('staff-reply-send').click();
    await expect.poll(() => console.getByTestId('staff-ticket-status').textContent()).toBe('Support replied');
    await shot(console, 'staff-ticket-en');
    await console.getByTestId('staff-nav-tickets').click();
    await console.getByTestId('ticket-queue').waitFor();
    await shot(console, 'staff-tickets-en');
    await staff.close();

    // The subscriber sees the answer in the thread and was told by SMS, in Chinese.
    await page.goto(ticketUrl);
    await page.getByTestId('message-staff').waitFor();
    expect(await page.getByTestId('message-staff').textContent()).toContain('We can unbind the lost phone');
    expect(await page.getByTestId('ticket-status').textContent()).toBe('客服已回复');
    await shot(page, 'help-thread-zh-CN-phone');
    await expect
      .poll(async () =>
        (await api(t, 'GET', `/api/v1/dev/messages?to=${encodeURIComponent(phone)}`)).body.items.some(
          (m: { text: string }) => m.text.includes('客服已回复您的工单'),
        ),
      )
      .toBe(true);
    await customer.close();
  });
});
