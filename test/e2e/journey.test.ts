import type { Browser, BrowserContext, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { api, signIn } from '../helpers/session.js';
import { unzip } from '../helpers/zip.js';
import { navTo } from './nav.js';

const TEXTS = {
  en: {
    send: 'Send code',
    search: 'Japan',
    ready: 'Ready to install',
    installed: 'Installed',
    submitted: /Submitted|In review/,
    inReview: 'In review',
    infoAsked: 'We need more information',
    deregistered: 'Deregistered',
    completedMail: 'Your account is closed',
    completedSms: 'your account is closed (deregistered)',
  },
  'zh-CN': {
    send: '发送验证码',
    search: '日本',
    ready: '可安装',
    installed: '已安装',
    submitted: /已提交|审核中/,
    inReview: '审核中',
    infoAsked: '我们需要您补充信息',
    deregistered: '已注销',
    completedMail: '您的账户已注销',
    completedSms: '您的账户已注销',
  },
} as const;

/** Main pages screenshotted at both sizes once the subscriber has a line, a device and a balance. */
const MAIN_PAGES = [
  '/account',
  '/plans',
  '/wallet',
  '/lines',
  '/devices',
  '/usage',
  '/backup',
  '/help',
  '/account/close',
];

describeBrowser('the whole journey of SEED.md R1–R12 in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({
      env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' },
      addons: true,
      runner: true,
    });
    ({ t, browser } = suite);
    return suite.close;
  });

  const inbox = async (to: string) =>
    (await api(t, 'GET', `/api/v1/dev/messages?to=${encodeURIComponent(to)}`)).body.items as {
      channel: string;
      subject: string | null;
      text: string;
      locale: string;
    }[];
  const codeFor = async (to: string) => {
    let code: string | undefined;
    await expect
      .poll(async () => {
        code = (await inbox(to)).map((m) => /\b(\d{6})\b/.exec(m.text)?.[1]).find(Boolean);
        return code;
      })
      .toBeDefined();
    return code!;
  };

  async function sweep(context: BrowserContext, lang: string) {
    if (!process.env.SCREENSHOT_DIR) return;
    const page = await context.newPage();
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      for (const path of MAIN_PAGES) {
        await page.goto(`${t.url}${path}`);
        await page.locator('main').first().waitFor();
        await page.waitForLoadState('networkidle');
        await shot(page, `journey${path.replaceAll('/', '-')}-${lang}-${size}`);
      }
    }
    await page.close();
  }

  for (const lang of ['en', 'zh-CN'] as const) {
    it(`walks sign-in to 注销 and back in ${lang}`, async () => {
      const x = TEXTS[lang];
      const email = `journey.${lang}@example.com`;
      const phone = lang === 'en' ? '+8613800990001' : '+8613800990002';
      const friend = await signIn(t, `friend.${lang}@example.com`);
      const context = await browser.newContext({
        locale: lang === 'en' ? 'en-US' : 'zh-CN',
        viewport: lang === 'en' ? VIEWPORTS.desktop : VIEWPORTS.phone,
      });
      const page: Page = await context.newPage();

      // R1: sign in with a one-time code; add a phone so notices reach both ways.
      await page.goto(`${t.url}/sign-in`);
      await page.getByTestId('sign-in-to').fill(email);
      await page.getByRole('button', { name: x.send }).click();
      await page.locator('[data-testid="code-input"] input').first().click();
      await page.keyboard.type(await codeFor(email));
      await page.getByTestId('home-me-title').waitFor();
      await navTo(page, 'account');
      await page.getByTestId('account-title').waitFor();
      await page.getByTestId('contact-to').fill(phone);
      await page.getByTestId('contact-send').click();
      await page.locator('[data-testid="contact-code"] input').first().click();
      await page.keyboard.type(await codeFor(phone));
      await expect.poll(() => page.getByTestId('add-contact').count()).toBe(0);

      // R2: top up the balance (test payment provider).
      await navTo(page, 'wallet');
      await page.getByTestId('topup-amount').fill('300');
      await page.getByTestId('topup-submit').click();
      await expect.poll(() => page.getByTestId('balance').textContent()).toMatch(/300\.00/);

      // R3: buy a plan for a country; the eSIM comes with its QR and activation code.
      await navTo(page, 'plans');
      await page.getByTestId('plan-search').fill(x.search);
      await page.getByTestId('buy-plan').first().click();
      await page.getByTestId('checkout-confirm').click();
      await page.getByTestId('line-title').waitFor();
      await expect
        .poll(() => page.getByTestId('esim-state').first().textContent(), { timeout: 15_000 })
        .toBe(x.ready);
      await page.getByTestId('esim-qr').first().waitFor();
      const lineUrl = page.url();

      // R4: install it on two devices.
      await page.getByTestId('simulate-install').first().click();
      await expect
        .poll(() => page.getByTestId('esim-state').first().textContent(), { timeout: 15_000 })
        .toBe(x.installed);
      await page.getByTestId('add-device').click();
      await page.getByTestId('checkout-confirm').click();
      await expect.poll(() => page.getByTestId('esim-card').count(), { timeout: 15_000 }).toBe(2);
      await expect.poll(() => page.getByTestId('simulate-install').count(), { timeout: 15_000 }).toBe(1);
      await page.getByTestId('simulate-install').click();
      await expect.poll(() => page.getByTestId('simulate-install').count(), { timeout: 15_000 }).toBe(0);

      // R7: choose the preferred network and buy an add-on.
      await page.getByTestId('network-operator').click();
      await page.getByRole('option', { name: /NTT docomo/ }).click();
      await page.getByTestId('network-saved').waitFor();
      await page.getByTestId('addon-data-1gb').click();
      await page.getByTestId('checkout-confirm').click();
      await page.getByTestId('addon-done').waitFor();

      // R3 (usage): mediation sends usage records; the subscriber sees them.
      const me = (await api(t, 'GET', '/api/v1/me/lines', { headers: (await signIn(t, email)).headers })).body
        .items[0];
      const { key } = await t.ctx.usage.addServiceKey(`mediation-${lang}`);
      const now = Date.now();
      const ingested = await api(t, 'POST', '/api/v1/usage/records', {
        body: {
          records: [
            {
              id: `${lang}-d1`,
              iccid: me.esim.iccid,
              type: 'data',
              bytes: 200 * 1024 * 1024,
              country: 'JP',
              startedAt: new Date(now).toISOString(),
            },
            {
              id: `${lang}-v1`,
              iccid: me.esim.iccid,
              type: 'voice',
              durationSeconds: 95,
              direction: 'out',
              counterpart: '+81312345678',
              country: 'JP',
              startedAt: new Date(now).toISOString(),
            },
          ],
        },
        headers: { authorization: `Bearer ${key}` },
      });
      expect(ingested.body.accepted).toBe(2);
      await navTo(page, 'usage');
      await page.getByTestId('usage-chart').waitFor();
      await expect.poll(() => page.getByTestId('usage-record').count()).toBeGreaterThanOrEqual(1);

      await sweep(context, lang);

      // R5, R8: try to close the account — blocked by the balance and the devices.
      await page.goto(`${t.url}/account/close`);
      await page.getByTestId('blocker-BALANCE_NOT_ZERO').waitFor();
      await page.getByTestId('blocker-DEVICES_BOUND').waitFor();
      await shot(page, `journey-blocked-${lang}`);

      // R6: transfer part of the balance to another subscriber, refund the rest.
      await page.getByTestId('fix-BALANCE_NOT_ZERO').click();
      await page.getByTestId('tab-transfer').click();
      await page.getByTestId('transfer-to').fill(`friend.${lang}@example.com`);
      await page.getByTestId('transfer-amount').fill('20');
      await page.getByTestId('transfer-review').click();
      await page.getByTestId('transfer-confirm').click();
      await page.getByTestId('wallet-ok').waitFor();
      await page.getByTestId('tab-refund').click();
      await page.getByTestId('refund-all').click();
      await page.getByTestId('refund-submit').click();
      await expect.poll(() => page.getByTestId('balance').textContent()).toMatch(/[^1-9]0\.00$/);
      expect((await api(t, 'GET', '/api/v1/me/balance', { headers: friend.headers })).body.amount).toBe(2000);

      // R9: unbind both devices.
      await navTo(page, 'devices');
      for (let i = 0; i < 2; i++) {
        await expect.poll(() => page.getByTestId('device-card').count()).toBe(2 - i);
        await page.getByTestId('unbind').first().click();
        await page.getByTestId('unbind-confirm').click();
      }
      await page.getByTestId('no-devices').waitFor();

      // R11: back up the data (call records, SMS, statement) before leaving.
      await navTo(page, 'backup');
      await page.getByTestId('export-start').click();
      await page.getByTestId('export-ready').waitFor({ timeout: 15_000 });

      // R10: apply with a reason.
      await page.goto(`${t.url}/account/close`);

      await expect
        .poll(
          async () => {
            await page.reload();
            await page.waitForLoadState('networkidle');
            return page.getByTestId('eligible').count();
          },
          { timeout: 15_000 },
        )
        .toBe(1);
      await page.getByTestId('reason-code').click();
      await page.getByRole('option').nth(3).click();
      await page.getByTestId('reason-text').fill(lang === 'en' ? 'Moving abroad' : '出国了');
      await page.getByTestId('close-start').click();
      await page.getByTestId('close-understand').click();
      await page.getByTestId('close-confirm').click();
      await expect.poll(() => page.getByTestId('cancellation-status').textContent()).toMatch(x.submitted);

      // R10: a reviewer asks for more information; the subscriber answers; the reviewer approves.
      await t.ctx.identity.addStaff(
        { email: `reviewer.${lang}@operator.example.com`, role: 'reviewer', locale: lang },
        { actor: { type: 'system', id: 'journey' } },
      );
      const staff = await browser.newContext({
        locale: lang === 'en' ? 'en-US' : 'zh-CN',
        viewport: VIEWPORTS.desktop,
      });
      await signInContext(staff, t, `reviewer.${lang}@operator.example.com`, lang);
      const console = await staff.newPage();
      await console.goto(`${t.url}/staff/cancellations`);
      await expect.poll(() => console.getByTestId('review-item').count(), { timeout: 15_000 }).toBe(1);
      await expect
        .poll(() => console.getByTestId('review-info').isEnabled(), { timeout: 15_000 })
        .toBe(false);
      await console
        .getByTestId('review-note')
        .fill(lang === 'en' ? 'Please confirm your ID number' : '请提供证件号码');
      await console.getByTestId('review-info').click();
      await expect.poll(() => console.getByTestId('review-reject').isDisabled()).toBe(true);
      await shot(console, `journey-review-asked-${lang}`);
      await page.reload();
      await page.getByText(x.infoAsked).waitFor();
      await page.getByTestId('resubmit-info').fill('110101199001011234');
      await page.getByTestId('resubmit').click();
      await expect.poll(() => page.getByTestId('cancellation-status').textContent()).toBe(x.inReview);
      await console.reload();
      await console.getByTestId('review-approve').click();
      await console.getByTestId('review-confirm-yes').click();
      // Decided once the request leaves the queue; closing the browser before that could cancel the call.
      await expect.poll(() => console.getByTestId('review-item').count(), { timeout: 15_000 }).toBe(0);
      await shot(console, `journey-review-${lang}`);
      await staff.close();

      // R12: told by email and SMS in the subscriber's language.
      await expect
        .poll(
          async () => (await inbox(email)).some((m) => m.subject === x.completedMail && m.locale === lang),
          { timeout: 15_000 },
        )
        .toBe(true);
      await expect
        .poll(async () => (await inbox(phone)).some((m) => m.text.includes(x.completedSms)))
        .toBe(true);

      // The next sign-in shows 已注销 / Deregistered, and the export can still be downloaded.
      await context.close();
      const again = await browser.newContext({
        locale: lang === 'en' ? 'en-US' : 'zh-CN',
        viewport: lang === 'en' ? VIEWPORTS.desktop : VIEWPORTS.phone,
      });
      await signInContext(again, t, phone, lang);
      const back = await again.newPage();
      await back.goto(`${t.url}/account`);
      await expect.poll(() => back.getByTestId('account-status').textContent()).toBe(x.deregistered);
      await back.getByTestId('deregistered-notice').waitFor();
      await shot(back, `journey-deregistered-${lang}`);
      await back.goto(`${t.url}/backup`);
      const href = await back.getByTestId('export-download').getAttribute('href');
      const zip = await (await fetch(`${t.url}${href}`)).arrayBuffer();
      const files = await unzip(Buffer.from(zip));
      expect(files.get('calls.csv')).toContain('+81312345678');
      expect(lineUrl).toContain('/lines/');
      await again.close();
    }, 120_000);
  }
});
