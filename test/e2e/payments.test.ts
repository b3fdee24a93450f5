import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { type AlipayPeer, alipayKeys, startAlipayPeer } from '../peers/alipay-peer.js';
import { type StripePeer, startStripePeer } from '../peers/stripe-peer.js';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/**
 * A subscriber tops up in the browser, is sent to the provider's hosted page (a local peer speaking
 * the provider's protocol), pays there, comes back to the wallet, which shows the top-up pending
 * until the provider's (held, then released) webhook lands, and then the balance.
 */
describeBrowser('payments in Chromium: a top-up through the provider’s hosted page', () => {
  let browser: Browser;
  let t: TestApp | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function walletPage(app: TestApp, email: string, viewport: keyof typeof VIEWPORTS) {
    const context = await browser.newContext({
      locale: 'en-US',
      viewport: VIEWPORTS[viewport],
      ...(viewport === 'phone' ? { userAgent: IPHONE_UA, isMobile: true, hasTouch: true } : {}),
    });
    await signInContext(context, app, email);
    const page = await context.newPage();
    await page.goto(`${app.url}/wallet`);
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('CN¥0.00');
    return page;
  }

  /** Back on the wallet: pending until `release` delivers the webhook, then the outcome and the balance. */
  async function comesBack(page: Page, app: TestApp, release: () => Promise<void>, name: string) {
    await page.waitForURL((url) => url.origin === app.url && url.pathname === '/wallet');
    expect(new URL(page.url()).searchParams.get('topup')).toMatch(/^pay_/);
    await expect.poll(() => page.getByTestId('topup-return').getAttribute('data-status')).toBe('pending');
    expect(await page.getByTestId('topup-return').textContent()).toContain('is being confirmed');
    await shot(page, `${name}-pending`);
    await release();
    // The page asks every 2 s while pending.
    await expect
      .poll(() => page.getByTestId('topup-return').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('succeeded');
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('CN¥88.00');
    expect(await page.getByTestId('topup-return').textContent()).toContain('CN¥88.00 added to your balance');
    await shot(page, `${name}-paid`);
  }

  it('Stripe: Checkout on the Stripe peer, paid by card, back to the wallet', async () => {
    const peer: StripePeer = await startStripePeer({
      secretKey: 'sk_test_peer0123456789abcdef',
      webhookSecret: 'whsec_peer0123456789abcdefghij',
    });
    try {
      t = await startTestApp('sqlite', {
        env: {
          CURRENCY: 'CNY',
          PAYMENT_PROVIDER: 'stripe',
          STRIPE_SECRET_KEY: 'sk_test_peer0123456789abcdef',
          STRIPE_WEBHOOK_SECRET: 'whsec_peer0123456789abcdefghij',
          STRIPE_API_URL: peer.url,
        },
      });
      const app = t;
      peer.state.webhookUrl = `${app.url}/api/v1/payments/webhooks/stripe`;
      peer.state.appUrl = app.url;
      peer.state.webhooks = 'hold';
      const page = await walletPage(app, 'stripe.payer@example.com', 'desktop');
      await page.getByTestId('topup-amount').fill('88');
      await page.getByTestId('topup-submit').click();
      await page.waitForURL((url) => url.origin === peer.url && url.pathname.startsWith('/pay/cs_test_'));
      expect(await page.getByRole('heading').textContent()).toBe('Pay 88.00 CNY');
      await shot(page, 'stripe-checkout');
      await page.getByRole('button', { name: 'Pay' }).click();
      await comesBack(
        page,
        app,
        async () => {
          for (const delivery of peer.held.splice(0)) expect(await peer.post(delivery)).toBe(200);
        },
        'stripe',
      );
      await page.context().close();
    } finally {
      await peer.close();
    }
  });

  it('Alipay: the cashier on the Alipay peer (wap.pay on a phone), paid, back to the wallet', async () => {
    const keys = alipayKeys();
    const dir = mkdtempSync(join(tmpdir(), 'alipay-e2e-'));
    writeFileSync(join(dir, 'app.pem'), keys.app.privateKey);
    writeFileSync(join(dir, 'alipay.pem'), keys.gateway.publicKey);
    const peer: AlipayPeer = await startAlipayPeer({
      appId: '2021000000000002',
      appPublicKey: keys.app.publicKey,
      gatewayPrivateKey: keys.gateway.privateKey,
    });
    try {
      t = await startTestApp('sqlite', {
        env: {
          CURRENCY: 'CNY',
          PAYMENT_PROVIDER: 'alipay',
          ALIPAY_APP_ID: '2021000000000002',
          ALIPAY_PRIVATE_KEY_FILE: join(dir, 'app.pem'),
          ALIPAY_PUBLIC_KEY_FILE: join(dir, 'alipay.pem'),
          ALIPAY_GATEWAY: peer.gateway,
        },
      });
      const app = t;
      peer.state.appUrl = app.url;
      peer.state.notifications = 'hold';
      const page = await walletPage(app, 'alipay.payer@example.com', 'phone');
      await page.getByTestId('topup-amount').fill('88');
      await page.getByTestId('topup-submit').click();
      await page.waitForURL((url) => url.origin === peer.url && url.pathname === '/gateway.do');
      expect(new URL(page.url()).searchParams.get('method')).toBe('alipay.trade.wap.pay');
      expect(await page.getByTestId('peer-amount').textContent()).toBe('¥88.00');
      await shot(page, 'alipay-cashier');
      await page.getByRole('button', { name: 'Pay' }).click();
      await comesBack(
        page,
        app,
        async () => {
          for (const note of peer.held.splice(0))
            expect(await peer.post(note)).toEqual({ status: 200, body: 'success' });
        },
        'alipay',
      );
      await page.context().close();
    } finally {
      await peer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
