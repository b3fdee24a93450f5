import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, signInStaff } from '../helpers/session.js';

const TEXTS = {
  en: { plan: 'Japan 5 GB', inReview: 'In review', deregistered: 'Deregistered' },
  'zh-CN': { plan: '日本 5GB', inReview: '审核中', deregistered: '已注销' },
} as const;

describeBrowser('the closure loop without dead ends', () => {
  let t: TestApp;
  let browser: Browser;
  let started = false;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    await t.ctx.catalog.seedDemo();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const { lang, size } of [
    { lang: 'en', size: 'desktop' },
    { lang: 'zh-CN', size: 'phone' },
  ] as const) {
    it(`goes through each fix link and back, lists what is lost, asks for information everywhere (${lang}, ${size})`, async () => {
      const x = TEXTS[lang];
      const email = `loop.${lang}@example.com`;
      // The line is bought and installed before the runner runs on its own (activeLine drains it).
      await activeLine(t, email, { locale: lang, topUp: 5_000 });
      if (!started) t.ctx.runner.start();
      started = true;
      const context = await browser.newContext({
        locale: lang === 'en' ? 'en-US' : 'zh-CN',
        viewport: VIEWPORTS[size],
      });
      await signInContext(context, t, email, lang);
      const page = await context.newPage();
      // The simulated phone binds a moment after it installs the profile.
      await page.goto(`${t.url}/account/close`);
      await expect
        .poll(
          async () => {
            await page.reload();
            await page.getByTestId('blocker-BALANCE_NOT_ZERO').waitFor();
            return page.getByTestId('blocker-DEVICES_BOUND').count();
          },
          // The runner delivers the emulator's notifications in its own time; a busy machine is slow.
          { timeout: 60_000 },
        )
        .toBe(1);

      // The balance's fix link opens the wallet on the refund tab, with the way back.
      await page.getByTestId('fix-BALANCE_NOT_ZERO').click();
      await page.getByTestId('back-to-checklist').waitFor();
      expect(new URL(page.url()).searchParams.get('tab')).toBe('refund');
      expect(await page.getByTestId('tab-refund').getAttribute('aria-selected')).toBe('true');
      await page.getByTestId('refund-all').click();
      await page.getByTestId('refund-submit').click();
      await page.getByTestId('wallet-ok').waitFor();
      await shot(page, `loop-wallet-${lang}-${size}`);
      await page.getByTestId('back-to-checklist').click();
      await shot(page, `loop-back-${lang}-${size}`);
      await page.getByTestId('blocker-DEVICES_BOUND').waitFor();
      await expect
        .poll(
          async () => {
            await page.reload();
            await page.getByTestId('blocker-DEVICES_BOUND').waitFor();
            return page.getByTestId('blocker-BALANCE_NOT_ZERO').count();
          },
          { timeout: 15_000 },
        )
        .toBe(0);

      // The devices' fix link opens the devices, with the way back.
      await page.getByTestId('fix-DEVICES_BOUND').click();
      await page.getByTestId('back-to-checklist').waitFor();
      expect(new URL(page.url()).pathname).toBe('/devices');
      await page.getByTestId('unbind').first().click();
      await page.getByTestId('unbind-confirm').click();
      await page.getByTestId('no-devices').waitFor();
      await page.getByTestId('back-to-checklist').click();
      await expect
        .poll(
          async () => {
            await page.reload();
            await page.getByTestId('close-start').waitFor();
            return page.getByTestId('eligible').count();
          },
          { timeout: 15_000 },
        )
        .toBe(1);

      // The final confirmation lists the line and what is left on it.
      await page.getByTestId('close-start').click();
      await page.getByTestId('what-will-be-lost').waitFor();
      const lost = page.getByTestId('lost-line');
      expect(await lost.count()).toBe(1);
      expect(await lost.textContent()).toContain(x.plan);
      expect(await lost.textContent()).toMatch(/5\.0 GB/);
      await shot(page, `loop-confirm-${lang}-${size}`);
      await page.getByTestId('close-understand').click();
      await page.getByTestId('close-confirm').click();
      await expect
        .poll(() => page.getByTestId('cancellation-status').textContent(), { timeout: 10_000 })
        .toBe(x.inReview);

      // The reviewer asks for information: every page says so and leads to the answer.
      const reviewer = await signInStaff(t, `reviewer.${lang}@operator.example.com`, 'reviewer');
      const items = (await api(t, 'GET', '/api/v1/staff/cancellations', { headers: reviewer.headers })).body
        .items as { id: string; status: string }[];
      const request = items.find((i) => i.status === 'in_review')!;
      await api(t, 'POST', `/api/v1/staff/cancellations/${request.id}/decision`, {
        body: { decision: 'request_info', note: 'ID?' },
        headers: reviewer.headers,
      });
      for (const path of ['/', '/wallet', '/lines', '/help']) {
        await page.goto(`${t.url}${path}`);
        await page.getByTestId('action-needed').waitFor();
      }
      await shot(page, `loop-action-needed-${lang}-${size}`);
      await page.getByTestId('action-needed-go').click();
      await page.getByTestId('resubmit-info').fill('110101199001011234');
      await page.getByTestId('resubmit').click();
      await expect.poll(() => page.getByTestId('cancellation-status').textContent()).toBe(x.inReview);
      expect(await page.getByTestId('action-needed').count()).toBe(0);

      // Approved: the account is closed; the request stays visible and the form to apply again is gone.
      await api(t, 'POST', `/api/v1/staff/cancellations/${request.id}/decision`, {
        body: { decision: 'approve', note: 'ok' },
        headers: reviewer.headers,
      });
      await expect
        .poll(
          async () =>
            (
              await api(t, 'GET', '/api/v1/staff/cancellations?status=completed', {
                headers: reviewer.headers,
              })
            ).body.items.some((i: { id: string }) => i.id === request.id),
          { timeout: 15_000 },
        )
        .toBe(true);
      await context.clearCookies();
      await signInContext(context, t, email, lang);
      await page.goto(`${t.url}/account`);
      await expect.poll(() => page.getByTestId('account-status').textContent()).toBe(x.deregistered);
      await page.goto(`${t.url}/account/close`);
      await page.getByTestId('cancellation-request').waitFor();
      expect(await page.getByTestId('close-start').count()).toBe(0);
      expect(await page.getByTestId('reason-code').count()).toBe(0);
      await page.goto(`${t.url}/`);
      await page.getByTestId('home-deregistered').waitFor();
      expect(await page.getByTestId('nav-sign-in').count()).toBe(0);
      await shot(page, `loop-deregistered-${lang}-${size}`);
      await context.close();
    }, 150_000);
  }
});
