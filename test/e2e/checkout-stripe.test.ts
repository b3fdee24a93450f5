import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { api, signIn } from '../helpers/session.js';
import { type StripePeer, startStripePeer } from '../peers/stripe-peer.js';

const SECRET_KEY = 'sk_test_peer0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_peer0123456789abcdefghij';

describeBrowser('checkout: "Top up and buy" through Stripe’s hosted page (the local Stripe peer)', () => {
  let t: TestApp;
  let peer: StripePeer;
  let browser: Browser;
  let planId: string;
  beforeAll(async () => {
    peer = await startStripePeer({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
    t = await startTestApp('sqlite', {
      env: {
        CURRENCY: 'CNY',
        RUNNER_POLL_MS: '50',
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_URL: peer.url,
        STRIPE_PAYMENT_METHODS: 'card,alipay',
      },
    });
    peer.state.webhookUrl = `${t.url}/api/v1/payments/webhooks/stripe`;
    peer.state.appUrl = t.url;
    await t.ctx.catalog.seedDemo();
    t.ctx.runner.start();
    browser = await launchBrowser();
    const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as { id: string; code: string }[];
    planId = plans.find((p) => p.code === 'jp-5gb-7d')!.id;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await peer?.close();
  });

  /** Signs `email` in, opens the plan's sheet and presses "Top up and buy": the browser is on the peer's page. */
  async function toHostedPage(email: string, lang: 'en' | 'zh-CN', size: keyof typeof VIEWPORTS) {
    const context = await browser.newContext({
      locale: lang === 'en' ? 'en-US' : 'zh-CN',
      viewport: VIEWPORTS[size],
    });
    await signInContext(context, t, email, lang);
    const page = await context.newPage();
    await page.goto(`${t.url}/plans?plan=${planId}`);
    await page.getByTestId('checkout-missing').waitFor();
    await page.getByTestId('checkout-confirm').click();
    await page.waitForURL(`${peer.url}/pay/**`);
    const session = new URL(page.url()).pathname.split('/').pop()!;
    return { context, page, session };
  }

  async function payOnPeer(page: Page, method: 'card' | 'alipay') {
    await page.getByLabel('Payment method').selectOption(method);
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`${t.url}/wallet?topup=*`);
  }

  async function ledgerOf(email: string) {
    const session = await signIn(t, email);
    const items = (await api(t, 'GET', '/api/v1/me/ledger', { headers: session.headers })).body.items as {
      kind: string;
      amount: { amount: number };
    }[];
    const balance = (await api(t, 'GET', '/api/v1/me/balance', { headers: session.headers })).body.amount;
    return { kinds: items.map((l) => l.kind).sort(), items, balance };
  }

  it('pays by card on the hosted page, comes back, buys with the kept key and lands on the line (en, desktop)', async () => {
    const email = 'stripe.card@example.com';
    const { context, page } = await toHostedPage(email, 'en', 'desktop');
    await payOnPeer(page, 'card');
    const returnedTo = page.url();
    await page.getByTestId('line-title').waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).pathname).toMatch(/^\/lines\/[\w-]+$/);
    const { kinds, items, balance } = await ledgerOf(email);
    expect(kinds).toEqual(['purchase', 'topup']);
    const topup = items.find((l) => l.kind === 'topup')!;
    expect(topup.amount.amount).toBe(-items.find((l) => l.kind === 'purchase')!.amount.amount);
    expect(balance).toBe(0);
    // Opening the wallet address it came back to again buys nothing more: the waiting purchase is gone.
    await page.goto(returnedTo);
    await page.getByTestId('balance').waitFor();
    expect(await page.getByTestId('checkout-resume').count()).toBe(0);
    expect((await ledgerOf(email)).kinds).toEqual(['purchase', 'topup']);
    await context.close();
  }, 120_000);

  it('waits on the way back while an Alipay payment is still being confirmed, then buys (zh-CN, phone)', async () => {
    const email = 'stripe.alipay@example.com';
    const { context, page, session } = await toHostedPage(email, 'zh-CN', 'phone');
    await payOnPeer(page, 'alipay');
    const resume = page.getByTestId('checkout-resume');
    await resume.waitFor();
    expect(await resume.getAttribute('data-state')).toBe('waiting');
    await shot(page, 'checkout-resume-zh-CN-phone');
    expect((await ledgerOf(email)).kinds).toEqual([]);
    await peer.settleAsync(session, 'succeeded');
    await page.getByTestId('line-title').waitFor({ timeout: 20_000 });
    const { kinds, balance } = await ledgerOf(email);
    expect(kinds).toEqual(['purchase', 'topup']);
    expect(balance).toBe(0);
    await context.close();
  }, 120_000);

  it('buys nothing when the payment fails, and leads back to the plan (en, phone)', async () => {
    const email = 'stripe.declined@example.com';
    const { context, page, session } = await toHostedPage(email, 'en', 'phone');
    await payOnPeer(page, 'alipay');
    await page.getByTestId('checkout-resume').waitFor();
    await peer.settleAsync(session, 'failed');
    await expect
      .poll(() => page.getByTestId('checkout-resume').getAttribute('data-state'), { timeout: 20_000 })
      .toBe('failed');
    await page.getByTestId('checkout-resume-back').click();
    await page.getByTestId('checkout-missing').waitFor();
    expect(new URL(page.url()).searchParams.get('plan')).toBe(planId);
    expect((await ledgerOf(email)).kinds).toEqual([]);
    await context.close();
  }, 120_000);
});
