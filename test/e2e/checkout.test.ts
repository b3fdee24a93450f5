import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, VIEWPORTS } from '../helpers/browser.js';
import { api, latestCode, signIn } from '../helpers/session.js';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';

const TEXTS = {
  en: {
    search: 'Japan',
    send: 'Send code',
    signInToBuy: 'Sign in to buy',
    topUpAndBuy: /^Top up .+ and buy$/,
  },
  'zh-CN': { search: '日本', send: '发送验证码', signInToBuy: '登录后购买', topUpAndBuy: /^充值 .+ 并购买$/ },
} as const;

describeBrowser(
  'checkout: visitor → plan → sign in → back to the plan → top up and buy → install → home',
  () => {
    let t: TestApp;
    let browser: Browser;
    beforeAll(async () => {
      t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
      await t.ctx.catalog.seedDemo();
      t.ctx.runner.start();
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    const runs = [
      { lang: 'en', size: 'desktop', ua: null },
      { lang: 'zh-CN', size: 'phone', ua: IPHONE_UA },
      { lang: 'en', size: 'phone', ua: ANDROID_UA },
      { lang: 'zh-CN', size: 'desktop', ua: null },
    ] as const;

    for (const { lang, size, ua } of runs) {
      it(`buys a plan with a top-up in one flow (${lang}, ${size})`, async () => {
        const x = TEXTS[lang];
        const email = `checkout.${lang}.${size}@example.com`;
        const context = await browser.newContext({
          locale: lang === 'en' ? 'en-US' : 'zh-CN',
          viewport: VIEWPORTS[size],
          ...(ua ? { userAgent: ua, isMobile: true, hasTouch: true } : {}),
        });
        const page = await context.newPage();

        // A visitor sees "Sign in to buy" on every plan.
        await page.goto(`${t.url}/plans`);
        await page.getByTestId('plan-search').fill(x.search);
        const card = page.getByTestId('plan-card').first();
        const planId = await card.getAttribute('data-plan');
        const cards = await page.getByTestId('plan-card').count();
        expect(await page.getByTestId('sign-in-to-buy').count()).toBe(cards);
        expect(await card.getByTestId('sign-in-to-buy').textContent()).toBe(x.signInToBuy);
        await card.getByTestId('sign-in-to-buy').click();

        // Signing in brings the visitor back to that plan, its checkout sheet open.
        await page.getByTestId('sign-in-to').fill(email);
        await page.getByRole('button', { name: x.send }).click();
        await page.locator('[data-testid="code-input"] input').first().click();
        await page.keyboard.type(await latestCode(t, email));
        await page.getByTestId('checkout-facts').waitFor();
        expect(new URL(page.url()).searchParams.get('plan')).toBe(planId);

        // Not enough balance: the sheet says how much is missing and offers to top up and buy.
        await page.getByTestId('checkout-missing').waitFor();
        const confirm = page.getByTestId('checkout-confirm');
        await expect.poll(() => confirm.textContent()).toMatch(x.topUpAndBuy);
        await shot(page, `checkout-topup-${lang}-${size}`);
        await confirm.click();
        await page.getByTestId('line-title').waitFor({ timeout: 15_000 });

        // One top-up of exactly the missing amount, then the purchase: the balance is back to zero.
        const session = await signIn(t, email);
        const ledger = (await api(t, 'GET', '/api/v1/me/ledger', { headers: session.headers })).body
          .items as {
          kind: string;
          amount: { amount: number };
        }[];
        expect(ledger.map((l) => l.kind).sort()).toEqual(['purchase', 'topup']);
        const topup = ledger.find((l) => l.kind === 'topup')!;
        const purchase = ledger.find((l) => l.kind === 'purchase')!;
        expect(topup.amount.amount).toBe(-purchase.amount.amount);
        expect((await api(t, 'GET', '/api/v1/me/balance', { headers: session.headers })).body.amount).toBe(0);

        // The eSIM card comes first; on a phone the one-tap install link uses the platform's own link.
        await expect
          .poll(() => page.getByTestId('esim-state').first().textContent(), { timeout: 15_000 })
          .toBeTruthy();
        await page.getByTestId('activation-code').waitFor({ timeout: 15_000 });
        const code = (await page.getByTestId('activation-code').textContent())!;
        if (ua) {
          const href = await page.getByTestId('one-tap-install').getAttribute('href');
          const host = ua === IPHONE_UA ? 'esimsetup.apple.com' : 'esimsetup.android.com';
          expect(code).toMatch(/^LPA:1\$[\w.-]+\$[\w-]+$/);
          expect(href).toBe(`https://${host}/esim_qrcode_provisioning?carddata=${code}`);
        } else {
          expect(await page.getByTestId('one-tap-install').count()).toBe(0);
          await page.getByTestId('esim-qr').waitFor();
        }
        await shot(page, `checkout-line-${lang}-${size}`);

        // The logo leads home, which shows the new line and the next step: install it.
        await page.getByTestId('brand').click();
        await page.getByTestId('home-line').waitFor();
        expect(await page.getByTestId('next-step').getAttribute('data-kind')).toBe('install');
        expect(await page.getByTestId('nav-sign-in').count()).toBe(0);
        await shot(page, `home-${lang}-${size}`);
        await context.close();
      }, 120_000);
    }

    it('asks for the missing amount only once when pressed again after a failed purchase', async () => {
      // Idempotency across the one flow: the same sheet keeps its keys, so a second press never tops up twice.
      const email = 'checkout.twice@example.com';
      const context = await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS.desktop });
      const { signInContext } = await import('../helpers/browser.js');
      await signInContext(context, t, email);
      const page = await context.newPage();
      await page.goto(`${t.url}/plans`);
      await page.getByTestId('buy-plan').first().click();
      await page.getByTestId('checkout-missing').waitFor();
      // The plan is retired between opening the sheet and pressing buy: the top-up lands, the purchase fails.
      const planId = new URL(page.url()).searchParams.get('plan')!;
      await t.ctx.database.db
        .updateTable('plans')
        .set({ status: 'retired' })
        .where('id', '=', planId)
        .execute();
      await page.getByTestId('checkout-confirm').click();
      await page.getByTestId('checkout-error').waitFor();
      await page.getByTestId('checkout-confirm').click();
      await page.getByTestId('checkout-error').waitFor();
      const session = await signIn(t, email);
      await expect
        .poll(async () => {
          const items = (await api(t, 'GET', '/api/v1/me/ledger', { headers: session.headers })).body.items;
          return (items as { kind: string }[]).filter((l) => l.kind === 'topup').length;
        })
        .toBe(1);
      await context.close();
    });
  },
);
