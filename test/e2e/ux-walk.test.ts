import type { Browser, Locator, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, newKey, type Session, signIn, topUp } from '../helpers/session.js';
import { violations } from './a11y-audit.js';

const NARROW = { width: 320, height: 640 };
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

/** Whether an element's text is cut: wider than its box, or its box sticking out of the window. */
async function cut(locator: Locator, viewportWidth: number) {
  return locator.evaluate((el, width) => {
    const box = el.getBoundingClientRect();
    const cutInside = [el, ...el.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1);
    return cutInside || box.left < 0 || box.right > width + 1;
  }, viewportWidth);
}

/** A pending line of `email` with an activation code to install (the eSIM ordered, not installed). */
async function pendingLine(t: TestApp, session: Session): Promise<string> {
  const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as Array<{ id: string; code: string }>;
  const lineId = (
    await api(t, 'POST', '/api/v1/me/lines', {
      body: { planId: plans.find((p) => p.code === 'jp-5gb-7d')!.id },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    })
  ).body.id as string;
  const deadline = Date.now() + 60_000;
  for (;;) {
    await t.ctx.runner.drain();
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    if (line.esim?.activationCode) return lineId;
    if (Date.now() > deadline) throw new Error(`line ${lineId} was not ordered within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function searchPlans(page: Page, query: string): Promise<string[]> {
  await page.getByTestId('plan-search').fill(query);
  return page
    .getByTestId('plan-card')
    .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-plan') ?? ''));
}

describeBrowser('the subscriber app after the UX walk', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    ({ t, browser } = suite);
    return suite.close;
  });

  it('plan search finds a country by its code, its name in either language, common names and prefixes', async () => {
    const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as Array<{
      id: string;
      countries: string[];
    }>;
    const covering = (code: string) => plans.filter((p) => p.countries.includes(code)).map((p) => p.id);
    for (const locale of ['en', 'zh-CN'] as const) {
      const context = await browser.newContext({ locale, viewport: VIEWPORTS.phone });
      const page = await context.newPage();
      await page.goto(`${t.url}/plans`);
      await page.getByTestId('plan-card').first().waitFor();
      for (const [query, code] of [
        ['UK', 'GB'],
        ['britain', 'GB'],
        ['USA', 'US'],
        ['America', 'US'],
        ['Turkey', 'TR'],
        ['Turk', 'TR'],
        ['turkiye', 'TR'],
        ['Japan', 'JP'],
        ['jp', 'JP'],
        ['日本', 'JP'],
        ['Holland', 'NL'],
        ['Czech Republic', 'CZ'],
        ['英国', 'GB'],
      ] as const) {
        const expected = covering(code);
        if (expected.length === 0) continue;
        const found = await searchPlans(page, query);
        expect(found.sort(), `${query} (${locale})`).toEqual(expected.sort());
      }
      expect(await searchPlans(page, 'Atlantis')).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('a visitor can see every country of a regional plan on a phone (zh-CN)', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: NARROW });
    const page = await context.newPage();
    const meCalls: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/me') meCalls.push(r.status());
    });
    await page.goto(`${t.url}/plans`);
    const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as Array<{ id: string; code: string }>;
    const planCard = (code: string) =>
      page.locator(`[data-plan="${plans.find((p) => p.code === code)!.id}"]`);
    const card = planCard('europe-15gb-30d');
    const toggle = card.getByTestId('plan-countries-toggle');
    await toggle.waitFor();
    const list = card.getByTestId('plan-countries');
    const clamped = await list.evaluate((el) => el.scrollHeight > el.clientHeight + 1);
    expect(clamped).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await list.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
    expect(await list.textContent()).toContain('土耳其');
    await shot(page, 'ux-plans-expanded-narrow-zh-CN');
    // Hong Kong has one name in Chinese: the plan's own ("中国香港"), not a second one.
    await page.getByTestId('plan-search').fill('香港');
    const hk = planCard('hk-3gb-5d');
    expect(await hk.getByTestId('plan-countries').textContent()).toBe('中国香港');
    // A visitor's page does not ask who is signed in: no 401 in the console.
    expect(meCalls).toEqual([]);
    await context.close();
  }, 30_000);

  it('the install button and the test-mode notice fit a 320 px phone; the wallet tabs stay on one row (en)', async () => {
    const email = 'narrow-ux@example.com';
    const session = await signIn(t, email);
    await topUp(t, session, 10_000);
    const lineId = await pendingLine(t, session);
    const context = await browser.newContext({ locale: 'en', viewport: NARROW, userAgent: IPHONE });
    await signInContext(context, t, email, 'en');
    const page = await context.newPage();
    await page.goto(`${t.url}/lines/${lineId}`);
    const install = page.getByTestId('one-tap-install');
    await install.waitFor();
    expect(await install.textContent()).toBe('Install on this iPhone');
    expect(await cut(install, NARROW.width)).toBe(false);
    // The iPhone steps point at the install button because it is shown.
    expect(await page.getByTestId('steps-ios').textContent()).toContain('install button above');
    expect(await page.getByTestId('matching-id').textContent()).toMatch(/\S+/);
    await shot(page, 'ux-install-narrow-en');

    await page.goto(`${t.url}/wallet`);
    const badge = page.getByTestId('test-mode');
    await badge.waitFor();
    expect(await cut(badge, NARROW.width)).toBe(false);
    const tops = await Promise.all(
      ['tab-topup', 'tab-transfer', 'tab-refund'].map(
        async (id) => (await page.getByTestId(id).boundingBox())!,
      ),
    );
    for (const box of tops) {
      expect(box.y).toBe(tops[0]!.y);
      expect(box.x + box.width).toBeLessThanOrEqual(NARROW.width);
    }
    await shot(page, 'ux-wallet-narrow-en');
    await context.close();

    // On a desktop there is no install button, and the steps do not mention one.
    const desk = await browser.newContext({ locale: 'en', viewport: VIEWPORTS.desktop });
    await signInContext(desk, t, email, 'en');
    const deskPage = await desk.newPage();
    await deskPage.goto(`${t.url}/lines/${lineId}`);
    await deskPage.getByTestId('steps-ios').waitFor();
    expect(await deskPage.getByTestId('one-tap-install').count()).toBe(0);
    expect(await deskPage.getByTestId('steps-ios').textContent()).not.toContain('install button');
    await shot(deskPage, 'ux-install-1280-en');
    await desk.close();
  }, 90_000);

  for (const { locale, texts } of [
    { locale: 'en', texts: { notice: 'under review' } },
    { locale: 'zh-CN', texts: { notice: '正在审核' } },
  ] as const) {
    it(`while a closure request is open, money actions give way to a notice with the way back (${locale})`, async () => {
      const email = `closing-${locale}@example.com`;
      const session = await signIn(t, email, { locale });
      const before = await browser.newContext({ locale, viewport: NARROW });
      await signInContext(before, t, email, locale);
      const open = await before.newPage();
      const cancellationCalls: number[] = [];
      open.on('response', (r) => {
        if (new URL(r.url()).pathname === '/api/v1/me/cancellation') cancellationCalls.push(r.status());
      });
      await open.goto(`${t.url}/`);
      await open.getByTestId('home-buy').waitFor();
      await open.waitForLoadState('networkidle');
      // No request and nothing to ask: home does not fetch one (no 404 in the console).
      expect(cancellationCalls).toEqual([]);
      expect(await open.getByTestId('closing-notice').count()).toBe(0);
      await before.close();

      const applied = await api(t, 'POST', '/api/v1/me/cancellation', {
        body: { reasonCode: 'no_longer_needed' },
        headers: session.headers,
      });
      expect(applied.status).toBe(201);
      expect((await api(t, 'GET', '/api/v1/me', { headers: session.headers })).body.status).toBe(
        'cancellation_pending',
      );

      const context = await browser.newContext({ locale, viewport: NARROW });
      await signInContext(context, t, email, locale);
      const page = await context.newPage();
      await page.goto(`${t.url}/`);
      const notice = page.getByTestId('closing-notice');
      await notice.waitFor();
      expect(await notice.textContent()).toContain(texts.notice);
      expect(await page.getByTestId('home-buy').count()).toBe(0);
      expect(await page.getByTestId('home-balance').count()).toBe(1);
      await page.waitForLoadState('networkidle');
      expect(await violations(page)).toEqual([]);
      await shot(page, `ux-home-closing-narrow-${locale}`);

      await page.goto(`${t.url}/wallet`);
      await page.getByTestId('closing-notice').waitFor();
      expect(await page.getByTestId('topup-submit').count()).toBe(0);
      expect(await page.getByTestId('tab-topup').count()).toBe(0);
      expect(await violations(page)).toEqual([]);
      await shot(page, `ux-wallet-closing-narrow-${locale}`);

      await page.goto(`${t.url}/plans`);
      await page.getByTestId('closing-notice').waitFor();
      expect(await page.getByTestId('buy-plan').count()).toBe(0);

      // The notice leads to the request, where it can be withdrawn.
      await page.getByTestId('closing-notice-link').click();
      await page.getByTestId('cancellation-request').waitFor();
      expect(new URL(page.url()).pathname).toBe('/account/close');
      await context.close();
    }, 60_000);
  }
  it('usage says durations and messages in words, the account pages name themselves as the nav does (zh-CN, en)', async () => {
    const email = 'usage-words@example.com';
    const active = await activeLine(t, email, { topUp: 20_000 });
    const { key } = await t.ctx.usage.addServiceKey('mediation-ux');
    const startedAt = new Date().toISOString();
    await api(t, 'POST', '/api/v1/usage/records', {
      body: {
        records: [
          {
            id: 'ux-v1',
            iccid: active.iccid,
            type: 'voice',
            durationSeconds: 185,
            direction: 'out',
            counterpart: '+81312345678',
            country: 'JP',
            startedAt,
          },
          {
            id: 'ux-s1',
            iccid: active.iccid,
            type: 'sms',
            direction: 'out',
            counterpart: '+81312345679',
            country: 'JP',
            startedAt,
          },
        ],
      },
      headers: { authorization: `Bearer ${key}` },
    });
    for (const { locale, texts } of [
      {
        locale: 'zh-CN',
        texts: {
          call: '3分5秒 · 拨出至',
          sms: '1 条短信 · 发往',
          account: '我的账户',
          backToAccount: '我的账户',
          byEmail: '通过邮件通知',
          sms2: '短信',
        },
      },
      {
        locale: 'en',
        texts: {
          call: '3 min 5 s · to',
          sms: '1 SMS · to',
          account: 'My account',
          backToAccount: 'My account',
          byEmail: 'by email',
          sms2: 'SMS',
        },
      },
    ] as const) {
      await t.ctx.database.db.updateTable('accounts').set({ locale }).where('email', '=', email).execute();
      // One sign-in per language (codes are rate-limited), the window resized for each width.
      const context = await browser.newContext({ locale, viewport: NARROW });
      await signInContext(context, t, email, locale);
      const page = await context.newPage();
      for (const viewport of [NARROW, VIEWPORTS.phone, VIEWPORTS.desktop]) {
        await page.setViewportSize(viewport);
        const size = viewport.width;
        await page.goto(`${t.url}/usage`);
        await page
          .getByTestId('usage-kind')
          .getByText(locale === 'en' ? 'Calls' : '通话')
          .click();
        await expect
          .poll(() => page.getByTestId('usage-record').first().textContent())
          .toContain(viewport === VIEWPORTS.desktop ? texts.call.split(' · ')[0] : texts.call);
        expect(await page.getByTestId('usage-rounding').count()).toBe(1);
        if (viewport !== VIEWPORTS.desktop) {
          // Usage is reached from the account: its tab is the one lit, not My lines.
          expect(await page.getByTestId('tabbar-account').getAttribute('aria-current')).toBe('page');
          expect(await page.getByTestId('tabbar-lines').getAttribute('aria-current')).toBeNull();
        }
        await shot(page, `ux-usage-calls-${size}-${locale}`);
        await page
          .getByTestId('usage-kind')
          .getByText(locale === 'en' ? 'SMS' : '短信')
          .click();
        await expect
          .poll(() => page.getByTestId('usage-record').first().textContent())
          .toContain(viewport === VIEWPORTS.desktop ? texts.sms.split(' · ')[0] : texts.sms);

        await page.goto(`${t.url}/account`);
        expect(await page.getByTestId('account-title').textContent()).toBe(texts.account);
        // Signed up by email only: help promises an answer by email, not by SMS.
        await page.goto(`${t.url}/help`);
        const intro = page.getByTestId('help-intro');
        await expect.poll(() => intro.textContent()).toContain(texts.byEmail);
        expect(await intro.textContent()).not.toContain(texts.sms2);
        await page.goto(`${t.url}/account/close`);
        const crumb = page.getByTestId('close-breadcrumb');
        await crumb.waitFor();
        // A balance and no arrears: the blocker does not speak of arrears of zero.
        const blocker = page.getByTestId('blocker-BALANCE_NOT_ZERO');
        await blocker.waitFor();
        expect(await blocker.textContent()).not.toMatch(/0\.00 owed|欠费 ¥0\.00/);
        await shot(page, `ux-close-${size}-${locale}`);
        await crumb.getByRole('link', { name: texts.backToAccount }).click();
        await page.getByTestId('account-title').waitFor();

        // The buy dialog's × keeps a normal gap from the screen's edge.
        await page.goto(`${t.url}/plans`);
        await page.getByTestId('buy-plan').first().click();
        const close = page.getByRole('button', { name: locale === 'en' ? 'Cancel' : '取消' }).first();
        await close.waitFor();
        const box = (await close.boundingBox())!;
        expect(viewport.width - (box.x + box.width)).toBeGreaterThanOrEqual(10);
        await shot(page, `ux-buy-${size}-${locale}`);
        await page.keyboard.press('Escape');
      }
      await context.close();
    }
  }, 120_000);
});
