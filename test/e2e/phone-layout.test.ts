import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, newKey, signIn } from '../helpers/session.js';

const NARROW = { width: 320, height: 640 };

/** Every subscriber page; `:line` is replaced by a line of the subscriber. */
const SUBSCRIBER_PAGES = [
  '/',
  '/plans',
  '/lines',
  '/lines/:line',
  '/lines/:pending',
  '/devices',
  '/wallet',
  '/usage',
  '/backup',
  '/help',
  '/help?new=1',
  '/account',
  '/account/close',
];
const PUBLIC_PAGES = ['/', '/plans', '/sign-in', '/no-such-page'];

/** How far the page is wider than the window (0 when nothing scrolls sideways), and what sticks out. */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const extra = document.documentElement.scrollWidth - width;
    const culprits =
      extra > 0
        ? [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > width + 1)
            .slice(0, 2)
            .map(
              (e) =>
                `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${e.textContent?.slice(0, 40)}`,
            )
        : [];
    return { extra, culprits };
  });
}

describeBrowser('phone layout at 320 px: no sideways scroll, a bottom tab bar', () => {
  let t: TestApp;
  let browser: Browser;
  let line: string;
  let pending: string;
  const email = 'narrow@example.com';
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    await t.ctx.catalog.seedDemo();
    await t.ctx.lineExtras.seedDemoAddons();
    const active = await activeLine(t, email, { topUp: 50_000 });
    line = active.lineId;
    const session = await signIn(t, email);
    const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as { id: string; code: string }[];
    pending = (
      await api(t, 'POST', '/api/v1/me/lines', {
        body: { planId: plans.find((p) => p.code !== 'jp-5gb-7d')!.id },
        headers: { ...session.headers, 'idempotency-key': newKey() },
      })
    ).body.id;
    await t.ctx.runner.drain();
    const { key } = await t.ctx.usage.addServiceKey('mediation-narrow');
    await api(t, 'POST', '/api/v1/usage/records', {
      body: {
        records: [
          {
            id: 'n-v1',
            iccid: active.iccid,
            type: 'voice',
            durationSeconds: 300,
            direction: 'out',
            counterpart: '+81312345678',
            country: 'JP',
            startedAt: new Date().toISOString(),
          },
        ],
      },
      headers: { authorization: `Bearer ${key}` },
    });
    await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'A rather long subject about roaming in Hokkaido', message: 'Hello' },
      headers: session.headers,
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const lang of ['en', 'zh-CN'] as const) {
    it(`nothing scrolls sideways on any page, signed out and in (${lang})`, async () => {
      const locale = lang === 'en' ? 'en-US' : 'zh-CN';
      const visitor = await browser.newContext({ locale, viewport: NARROW });
      const page = await visitor.newPage();
      const problems: string[] = [];
      for (const path of PUBLIC_PAGES) {
        await page.goto(`${t.url}${path}`);
        await page.locator('main').first().waitFor();
        await page.waitForLoadState('networkidle');
        const o = await overflow(page);
        if (o.extra > 0) problems.push(`${path} (visitor): ${o.extra}px ${o.culprits.join(' | ')}`);
      }
      await visitor.close();

      // The account's language wins over the browser's: set it to the one under test.
      await t.ctx.database.db
        .updateTable('accounts')
        .set({ locale: lang })
        .where('email', '=', email)
        .execute();
      const context = await browser.newContext({ locale, viewport: NARROW });
      await signInContext(context, t, email, lang);
      const signedIn = await context.newPage();
      for (const template of SUBSCRIBER_PAGES) {
        const path = template.replace(':line', line).replace(':pending', pending);
        await signedIn.goto(`${t.url}${path}`);
        await signedIn.locator('main').first().waitFor();
        await signedIn.waitForLoadState('networkidle');
        const o = await overflow(signedIn);
        if (o.extra > 0) problems.push(`${template}: ${o.extra}px ${o.culprits.join(' | ')}`);
        await shot(signedIn, `narrow${template.replaceAll(/[/:?=]/g, '-')}-${lang}`);
      }
      expect(problems).toEqual([]);

      // The five tabs all fit on the screen, Help included, and each leads to its section.
      await signedIn.goto(`${t.url}/`);
      for (const key of ['plans', 'lines', 'wallet', 'help', 'account']) {
        const tab = signedIn.getByTestId(`tabbar-${key}`);
        const box = (await tab.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(NARROW.width);
        await tab.click();
        await expect.poll(() => tab.getAttribute('aria-current')).toBe('page');
      }
      await context.close();
    }, 120_000);
  }

  it('the check itself fails on a page that scrolls sideways', async () => {
    const context = await browser.newContext({ viewport: NARROW });
    const page = await context.newPage();
    await page.goto(`${t.url}/plans`);
    await page.locator('main').first().waitFor();
    await page.evaluate(() => {
      const wide = document.createElement('div');
      wide.style.width = '400px';
      wide.style.height = '10px';
      document.querySelector('main')!.append(wide);
    });
    expect((await overflow(page)).extra).toBeGreaterThan(0);
    await context.close();
  });
});
