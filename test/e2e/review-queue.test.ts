import type { Browser, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { applyToClose } from '../helpers/cancellation.js';
import { activeLine } from '../helpers/lines.js';
import { api, signInStaff } from '../helpers/session.js';

describeBrowser('reviewers decide with the facts in front of them (Chromium, zh-CN and en)', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    ({ t, browser } = suite);
    return suite.close;
  });
  beforeAll(async () => {
    // The console speaks the staff member's language: one reviewer per language.
    await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    await t.ctx.identity.addStaff(
      { email: 'reviewer.zh@operator.example.com', role: 'reviewer', locale: 'zh-CN' },
      { actor: { type: 'system', id: 'test' } },
    );
  });

  /** A subscriber with one line who applied to close (balance refunded, device unbound), now in review. */
  async function applied(email: string) {
    const { session } = await activeLine(t, email, { locale: 'zh-CN' });
    const requestId = await applyToClose(t, session, { reasonCode: 'cost', reason: '太贵了' });
    return { session, requestId };
  }

  async function console(locale: 'zh-CN' | 'en', viewport: { width: number; height: number }) {
    const context = await browser.newContext({ locale: locale === 'en' ? 'en-US' : 'zh-CN', viewport });
    const email = locale === 'en' ? 'reviewer@operator.example.com' : 'reviewer.zh@operator.example.com';
    await signInContext(context, t, email, locale);
    const page = await context.newPage();
    await page.goto(`${t.url}/staff/cancellations`);
    return { context, page };
  }

  /** The review queue at both widths, for looking at (SCREENSHOT_DIR). */
  async function shots(page: Page, name: string) {
    await page.setViewportSize(VIEWPORTS.phone);
    await shot(page, `${name}-390`);
    await page.setViewportSize(VIEWPORTS.desktop);
    await shot(page, `${name}-1280`);
  }

  it('shows who the customer is, the history with the answer and the checks; approving asks first (zh-CN)', async () => {
    const { session, requestId } = await applied('lena@example.com');
    const reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    await api(t, 'POST', `/api/v1/staff/cancellations/${requestId}/decision`, {
      body: { decision: 'request_info', note: '请确认已导出数据' },
      headers: reviewer.headers,
    });
    await api(t, 'POST', `/api/v1/me/cancellation/${requestId}/resubmit`, {
      body: { info: '已导出' },
      headers: session.headers,
    });

    const { context, page } = await console('zh-CN', VIEWPORTS.phone);
    const item = page.getByTestId('review-item');
    await item.waitFor();
    expect(await item.getByTestId('review-contact').textContent()).toBe('l***@example.com');
    const customer = await item.getByTestId('review-customer').textContent();
    expect(customer).toContain('成为客户');
    expect(customer).toContain('1 条线路');
    expect(await item.getByTestId('review-line').count()).toBe(1);
    expect(await item.getByTestId('review-line').textContent()).toContain('使用中');
    const history = await item.getByTestId('review-history').textContent();
    expect(history).toContain('需补充信息');
    expect(history).toContain('reviewer@operator.example.com');
    expect(history).toContain('请确认已导出数据');
    expect(history).toContain('用户回复：“已导出”');
    expect(await item.getByTestId('review-checks-now').textContent()).toContain(
      '当前检查：没有阻止注销的事项',
    );
    await shots(page, 'review-queue-zh-CN');

    // Approve asks first; cancelling changes nothing.
    await item.getByTestId('review-approve').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('批准注销？').waitFor();
    expect(await dialog.textContent()).toContain('l***@example.com 的账户将被注销：终止其 1 条线路');
    await shot(page, 'review-confirm-approve-zh-CN');
    await dialog.getByTestId('review-confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await api(t, 'GET', '/api/v1/me/cancellation', { headers: session.headers })).body.status).toBe(
      'in_review',
    );

    await item.getByTestId('review-approve').click();
    await page.getByTestId('review-confirm-yes').click();
    await expect.poll(() => page.getByTestId('review-item').count(), { timeout: 15_000 }).toBe(0);
    const decided = page.getByTestId('review-decided-item').first();
    await decided.waitFor();
    const decidedText = await decided.textContent();
    expect(decidedText).toContain('l***@example.com');
    expect(decidedText).toContain('已通过');
    expect(decidedText).toContain('reviewer.zh@operator.example.com');
    await shots(page, 'review-decided-zh-CN');
    await context.close();
  }, 120_000);

  it('rejecting asks first and the decision is listed as recently decided (en)', async () => {
    const { session } = await applied('bo@example.com');
    const { context, page } = await console('en', VIEWPORTS.desktop);
    const item = page.getByTestId('review-item');
    await item.waitFor();
    expect(await item.getByTestId('review-contact').textContent()).toBe('b***@example.com');
    expect(await item.getByTestId('review-customer').textContent()).toContain('Customer since');
    expect(await item.getByTestId('review-customer').textContent()).toContain('1 line');
    const history = await item.getByTestId('review-history').textContent();
    expect(history).toContain('Submitted');
    expect(history).toContain('In review');
    expect(await item.getByTestId('review-checks').textContent()).toContain('Automatic checks passed');
    expect(await item.getByTestId('review-checks-now').textContent()).toContain(
      'Checked now: nothing stops the closure',
    );
    await shots(page, 'review-queue-en');

    await item.getByTestId('review-note').fill('Your number is in a contract until March');
    await item.getByTestId('review-reject').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Reject this request?').waitFor();
    expect(await dialog.textContent()).toContain("b***@example.com's request is rejected");
    expect(await dialog.textContent()).toContain('Your note: Your number is in a contract until March');
    await shot(page, 'review-confirm-reject-en');
    await page.getByTestId('review-confirm-yes').click();
    await expect.poll(() => page.getByTestId('review-item').count(), { timeout: 15_000 }).toBe(0);
    const decided = page.getByTestId('review-decided-item');
    await expect.poll(() => decided.count(), { timeout: 15_000 }).toBe(3);
    const newest = await decided.first().textContent();
    expect(newest).toContain('b***@example.com');
    expect(newest).toContain('Not approved');
    expect(newest).toContain('reviewer@operator.example.com');
    expect(newest).toContain('Your number is in a contract until March');
    expect(await decided.nth(1).textContent()).toContain('Approved');
    expect((await api(t, 'GET', '/api/v1/me/cancellation', { headers: session.headers })).body.status).toBe(
      'rejected',
    );
    await shots(page, 'review-decided-en');
    await context.close();
  }, 120_000);
});
