import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { api, newKey, type Session, signIn, signInStaff, topUp } from '../helpers/session.js';

// Issue 20 item 4 in the browser: money received by transfer cannot be refunded, so closing the
// account takes giving it up knowingly (the Forfeit step); staff can write a balance off.
describeBrowser('every balance can reach zero in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50', ADJUSTMENT_APPROVAL_MINOR: '5000' },
    });
    await t.ctx.catalog.seedDemo();
    await t.ctx.policies.update({ adjustmentApprovalMinor: 5000 }, { actor: { type: 'system', id: 'test' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const verify = () => t.ctx.ledger.verify(t.ctx.database.db);

  /** `email` holds only `amount` received by transfer from another subscriber: none of it can be refunded. */
  async function giftedHolder(email: string, amount: number, locale: string): Promise<Session> {
    const session = await signIn(t, email, { locale });
    const giver = await signIn(t, `giver.${email}`);
    await topUp(t, giver, amount);
    const sent = await api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: email, amount: cny(amount) },
      headers: { ...giver.headers, 'idempotency-key': newKey() },
    });
    expect(sent.status).toBe(201);
    return session;
  }

  /** Serious and critical axe findings on the page as it is now (as in test/e2e/a11y.test.ts). */
  async function violations(page: Page): Promise<string[]> {
    const result = await new AxeBuilder({ page }).analyze();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  const ways = (page: Page) =>
    page
      .getByTestId('blocker-BALANCE_NOT_ZERO')
      .locator('[data-way]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-way')));

  it('closes an account holding only transferred-in money by giving it up knowingly (zh-CN)', async () => {
    const holder = await giftedHolder('keeper@example.com', 7000, 'zh-CN');
    t.ctx.runner.start();
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(context, t, 'keeper@example.com', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/account/close`);

    // The blocker offers exactly the ways for this balance: no refund (nothing was paid), transfer, forfeit.
    await page.getByTestId('blocker-BALANCE_NOT_ZERO').waitFor();
    await expect.poll(() => ways(page)).toEqual(['transfer', 'forfeit']);
    expect(await page.getByTestId('blocker-BALANCE_NOT_ZERO').textContent()).toContain('放弃 ¥70.00');
    expect(await page.getByTestId('close-start').isDisabled()).toBe(true);
    await shot(page, 'forfeit-blocker-zh-CN-390');
    expect(await violations(page)).toEqual([]);

    // Transfer leads to the wallet's transfer tab, with the way back.
    await page.getByTestId('fix-BALANCE_NOT_ZERO').click();
    expect(await page.getByTestId('tab-transfer').getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('back-to-checklist').click();

    // The Forfeit step: the amount, plainly lost, and the button only once the amount is typed.
    await page.locator('[data-way="forfeit"]').click();
    await page.getByTestId('forfeit-step').waitFor();
    await expect.poll(() => page.getByTestId('forfeitable').textContent()).toBe('¥70.00');
    expect(await page.getByTestId('forfeit-warning').textContent()).toContain('这笔钱将会失去');
    expect(await page.getByTestId('forfeit-warning').textContent()).toContain('不会退还');
    const submit = page.getByTestId('forfeit-submit');
    expect(await submit.isDisabled()).toBe(true);
    await page.getByTestId('forfeit-typed').fill('7');
    expect(await submit.isDisabled()).toBe(true);
    await page.getByTestId('forfeit-typed').fill('70.01');
    expect(await submit.isDisabled()).toBe(true);
    await page.getByText('与上方显示的金额不一致。').waitFor();
    await page.getByTestId('forfeit-typed').fill('70.00');
    expect(await submit.isDisabled()).toBe(false);
    await shot(page, 'forfeit-step-zh-CN-390');
    expect(await violations(page)).toEqual([]);
    await page.setViewportSize(VIEWPORTS.desktop);
    await shot(page, 'forfeit-step-zh-CN-1280');
    await page.setViewportSize(VIEWPORTS.phone);

    await submit.click();
    // Back on the checklist with the receipt; the balance is zero and nothing blocks any more.
    await page.getByTestId('forfeit-done').waitFor();
    const receipt = (await page.getByTestId('forfeit-receipt').textContent()) ?? '';
    expect(receipt).toMatch(/^fft_/);
    await page.getByTestId('eligible').waitFor();
    expect(await page.getByTestId('blocker-BALANCE_NOT_ZERO').count()).toBe(0);
    await shot(page, 'forfeit-done-zh-CN-390');
    expect((await api(t, 'GET', '/api/v1/me/balance', { headers: holder.headers })).body.amount).toBe(0);
    const statement = (await api(t, 'GET', '/api/v1/me/ledger', { headers: holder.headers })).body.items;
    expect(statement[0]).toMatchObject({ kind: 'forfeit', amount: cny(-7000), reference: receipt });

    // The statement names it in Chinese.
    await page.goto(`${t.url}/wallet`);
    await expect.poll(() => page.getByTestId('statement-line').first().textContent()).toContain('放弃余额');

    // Then the usual request, approved by a reviewer through the API.
    await page.goto(`${t.url}/account/close`);
    await page.getByTestId('close-start').click();
    await page.getByTestId('close-understand').click();
    await page.getByTestId('close-confirm').click();
    await expect
      .poll(() => page.getByTestId('cancellation-status').textContent(), { timeout: 10_000 })
      .toBe('审核中');
    const reviewer = await signInStaff(t, 'reviewer@operator.example.com', 'reviewer');
    const items = (await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })).body
      .items as { id: string; accountId: string }[];
    const request = items.find((i) => i.accountId === holder.account.id);
    expect(request).toBeDefined();
    const approved = await api(t, 'POST', `/api/v1/staff/cancellations/${request?.id}/decision`, {
      body: { decision: 'approve' },
      headers: reviewer.headers,
    });
    expect(approved.status).toBe(200);
    await expect
      .poll(
        async () =>
          (
            await t.ctx.database.db
              .selectFrom('accounts')
              .select('status')
              .where('id', '=', holder.account.id)
              .executeTakeFirstOrThrow()
          ).status,
        { timeout: 10_000 },
      )
      .toBe('deregistered');
    // Signing in again shows 已注销.
    await context.clearCookies();
    await signInContext(context, t, 'keeper@example.com', 'zh-CN');
    await page.goto(`${t.url}/account`);
    await expect.poll(() => page.getByTestId('account-status').textContent()).toBe('已注销');
    expect(await verify()).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows the Forfeit step in English and lets an agent write a balance off, an admin approve above the limit (en, 1280)', async () => {
    const gift = await giftedHolder('gift@example.com', 9000, 'en');
    // The subscriber's Forfeit step in English (looked at, not submitted).
    const sub = await browser.newContext({ locale: 'en', viewport: VIEWPORTS.phone });
    await signInContext(sub, t, 'gift@example.com', 'en');
    const page = await sub.newPage();
    await page.goto(`${t.url}/account/close?step=forfeit`);
    await expect.poll(() => page.getByTestId('forfeitable').textContent()).toContain('90.00');
    expect(await page.getByTestId('forfeit-warning').textContent()).toContain('This money will be lost');
    expect(await page.getByTestId('forfeit-submit').isDisabled()).toBe(true);
    await page.getByTestId('forfeit-typed').fill('90');
    expect(await page.getByTestId('forfeit-submit').isDisabled()).toBe(false);
    await shot(page, 'forfeit-step-en-390');
    await page.setViewportSize(VIEWPORTS.desktop);
    await shot(page, 'forfeit-step-en-1280');
    await sub.close();

    await signInStaff(t, 'agent@operator.example.com', 'agent');
    const admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
    const staff = await browser.newContext({ locale: 'en', viewport: VIEWPORTS.desktop });
    await signInContext(staff, t, 'agent@operator.example.com', 'en');
    const console = await staff.newPage();
    await console.goto(`${t.url}/staff/customers/${gift.account.id}`);
    await console.getByTestId('write-off').waitFor();
    // Arrears can be waived only while the account is closing: an active account offers the balance alone.
    expect(await console.getByTestId('write-off-of').count()).toBe(0);
    expect(await console.getByTestId('write-off-submit').isDisabled()).toBe(true);

    await console.getByTestId('write-off-amount').fill('20');
    await console.getByTestId('write-off-reason').fill('duplicate promotional credit');
    await console.getByTestId('write-off-submit').click();
    await expect.poll(() => console.getByTestId('write-off-outcome').textContent()).toBe('Written off.');
    await expect.poll(() => console.getByTestId('customer-balance').textContent()).toContain('70.00');

    // 20 + 40 is above the agent's 50.00 in 24 hours: it waits for an admin and moves nothing yet.
    await console.getByTestId('write-off-amount').fill('40');
    await console.getByTestId('write-off-reason').fill('rest of the promotional credit');
    await console.getByTestId('write-off-submit').click();
    await expect
      .poll(() => console.getByTestId('write-off-outcome').textContent())
      .toBe('Above your limit: waiting for an admin.');
    await shot(console, 'write-off-en-1280');
    expect(await violations(console)).toEqual([]);
    expect((await api(t, 'GET', '/api/v1/me/balance', { headers: gift.headers })).body.amount).toBe(7000);

    const pending = await t.ctx.database.db
      .selectFrom('adjustments')
      .select(['id', 'status'])
      .where('account_id', '=', gift.account.id)
      .where('status', '=', 'pending_approval')
      .execute();
    expect(pending).toHaveLength(1);
    const decided = await api(t, 'POST', `/api/v1/staff/adjustments/${pending[0]?.id}/decision`, {
      body: { decision: 'approve' },
      headers: admin.headers,
    });
    expect(decided.status).toBe(200);
    expect((await api(t, 'GET', '/api/v1/me/balance', { headers: gift.headers })).body.amount).toBe(3000);
    const kinds = (await api(t, 'GET', '/api/v1/me/ledger', { headers: gift.headers })).body.items.map(
      (l: { kind: string }) => l.kind,
    );
    expect(kinds.slice(0, 2)).toEqual(['write_off', 'write_off']);

    // Once the account is closing, the form offers waiving its arrears too (nothing to waive here: 0.00).
    const rest = await api(t, 'POST', `/api/v1/staff/accounts/${gift.account.id}/write-offs`, {
      body: { amount: cny(3000), reason: 'closing: nothing left to keep' },
      headers: { ...admin.headers, 'idempotency-key': newKey() },
    });
    expect(rest.body).toMatchObject({ kind: 'write_off', status: 'posted' });
    const applied = await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: gift.headers });
    expect(applied.status).toBe(201);
    await console.reload();
    await console.getByTestId('write-off-of').waitFor();
    await console.getByText('Waive arrears (CN¥0.00)').waitFor();
    expect(await console.getByTestId('write-off-of').locator('input[value="arrears"]').isDisabled()).toBe(
      true,
    );
    expect(await console.getByTestId('write-off-submit').textContent()).toBe('Debit the balance');
    await shot(console, 'write-off-closing-en-1280');
    expect(await verify()).toEqual([]);
    await staff.close();
  }, 60_000);
});
