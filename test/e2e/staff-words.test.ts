import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, newKey, signIn, signInStaff } from '../helpers/session.js';

/**
 * Latin words a Chinese reader is expected to see: the brand, technical names that are the same in
 * Chinese (eSIM, SM-DP+, ICCID, EID), units. Everything else in the console must come from zh-CN.
 */
const ALLOWED = new Set([
  ...['English', 'esimdesk', 'eSIM', 'SM', 'DP', 'ICCID', 'EID', 'ID', 'SMS', 'CSV', 'ISO', 'IANA'],
  ...['MB', 'GB', 'GiB', 'P90'],
  ...['CN', 'Asia', 'Shanghai'], // the policies' examples of a country code and a time zone
]);

/** The words of the page in Latin letters that are not data (addresses, ids, numbers, codes) nor allowed. */
async function englishOn(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement;
    for (const el of body.querySelectorAll('code, script, style, [data-testid="customer-name"]')) el.remove();
    return body.innerText;
  });
  const words = text
    .replace(/\S+@\S+/g, ' ') // email addresses, masked or not
    .replace(/\b[a-z]+_[0-9A-Za-z]+\b/g, ' ') // ids (acc_…, req_…)
    .match(/[A-Za-z][A-Za-z'’]+/g);
  return [...new Set(words ?? [])].filter((w) => !ALLOWED.has(w));
}

describeBrowser('words people understand, in zh-CN (Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    await t.ctx.catalog.seedDemo();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('walks every staff page in zh-CN without an English word, with staff named by email', async () => {
    await t.ctx.identity.addStaff(
      { email: 'admin.zh@operator.example.com', role: 'admin', locale: 'zh-CN' },
      { actor: { type: 'system', id: 'test' } },
    );
    const admin = await signInStaff(t, 'admin.zh@operator.example.com', 'admin');
    const { session } = await activeLine(t, 'mei@example.com', { locale: 'zh-CN' });
    const me = (await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body;
    const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { category: 'billing', subject: '余额问题', message: '我的余额不对' },
      headers: session.headers,
    });
    await api(t, 'POST', `/api/v1/staff/accounts/${me.id}/adjustments`, {
      body: { amount: { amount: 500, currency: 'CNY' }, reason: '服务补偿' },
      headers: { ...admin.headers, 'idempotency-key': newKey() },
    });
    await t.ctx.runner.drain();

    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.desktop });
    await signInContext(context, t, 'admin.zh@operator.example.com', 'zh-CN');
    const page = await context.newPage();
    const pages: [string, string][] = [
      ['/staff', 'sla-table'],
      ['/staff/tickets?view=all', 'ticket-queue-row'],
      [`/staff/tickets/${ticket.body.id}`, 'staff-ticket-status'],
      ['/staff/customers?q=mei@example.com', 'customer-result'],
      [`/staff/customers/${me.id}`, 'customer-360'],
      ['/staff/cancellations', 'review-decided'],
      ['/staff/policies', 'policy-reviewDays'],
      ['/staff/members', 'members-table'],
      ['/staff/usage-holds', 'held-usage-table'],
      ['/staff/jobs', 'jobs-table'],
      ['/staff/audit', 'audit-table'],
    ];
    const found: Record<string, string[]> = {};
    for (const [path, ready] of pages) {
      await page.goto(`${t.url}${path}`);
      await page.getByTestId(ready).first().waitFor();
      await page.waitForLoadState('networkidle');
      const english = await englishOn(page);
      if (english.length > 0) found[path] = english;
    }
    expect(found).toEqual({});

    // The customer 360: line status, device name and message channel in Chinese; staff by email in its trail.
    await page.goto(`${t.url}/staff/customers/${me.id}`);
    const customer = page.getByTestId('customer-360');
    await customer.waitFor();
    const text = await customer.textContent();
    expect(text).toContain('使用中');
    expect(text).toMatch(/设备 · \w{4}/);
    expect(text).toContain('邮件');
    expect(text).toContain('补偿入账');
    expect(text).toContain('admin.zh@operator.example.com');
    await shot(page, 'staff-customer-zh-CN');

    // The audit trail names the staff member by email and says what happened in words.
    await page.goto(`${t.url}/staff/audit`);
    const row = page.getByTestId('audit-table').getByRole('row').filter({ hasText: '补偿入账' }).first();
    await row.waitFor();
    expect(await row.textContent()).toContain('admin.zh@operator.example.com');
    await shot(page, 'staff-audit-zh-CN');
    await context.close();
  }, 180_000);

  it('says what and whom on the statement, and names devices in Chinese (subscriber, zh-CN, 390 px)', async () => {
    const { session } = await activeLine(t, 'wen@example.com', { locale: 'zh-CN' });
    await signIn(t, '+8613800000001');
    await api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: '+8613800000001', amount: 100 },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    });
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(context, t, 'wen@example.com', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/wallet`);
    const statement = page.getByTestId('statement');
    await statement.getByText('转给 138****0001').waitFor();
    await statement.getByText('日本 5GB · 7天').waitFor();
    await shot(page, 'wallet-statement-zh-CN');
    await page.goto(`${t.url}/devices`);
    expect(await page.getByTestId('device-name').first().textContent()).toMatch(/^设备 · \w{4}$/);
    await context.close();
  }, 180_000);
});
