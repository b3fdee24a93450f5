import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, signInContext, VIEWPORTS } from '../helpers/browser.js';

/** The entry script named in the built index.html. */
function entryScript(): string {
  const html = fs.readFileSync(path.resolve('dist/web/index.html'), 'utf8');
  return /src="(\/assets\/index-[^"]+\.js)"/.exec(html)![1]!;
}

describeBrowser('a fast first load: precompressed, cached for good, split by route', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await t.ctx.catalog.seedDemo();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('sends the brotli or gzip file the client accepts, and hashed files as immutable', async () => {
    const script = entryScript();
    const raw = fs.statSync(path.resolve(`dist/web${script}`)).size;
    for (const [accept, encoding, file] of [
      ['br, gzip', 'br', `${script}.br`],
      ['gzip', 'gzip', `${script}.gz`],
    ] as const) {
      const res = await fetch(`${t.url}${script}`, { headers: { 'accept-encoding': accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(res.headers.get('vary')?.toLowerCase()).toContain('accept-encoding');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      const body = Buffer.from(await res.arrayBuffer());
      // fetch decodes the body: what arrived is the script itself, sent as the smaller precompressed file.
      expect(body.length).toBe(raw);
      expect(fs.statSync(path.resolve(`dist/web${file}`)).size).toBeLessThan(raw / 2);
    }
    const plain = await fetch(`${t.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await plain.arrayBuffer()).length).toBe(raw);

    const index = await fetch(`${t.url}/`, { headers: { accept: 'text/html', 'accept-encoding': 'br' } });
    expect(index.headers.get('cache-control')).toBe('no-cache');
  });

  it('never downloads the staff console or the API explorer for a visitor or a subscriber', async () => {
    for (const signedIn of [false, true]) {
      const context = await browser.newContext({ viewport: VIEWPORTS.phone });
      if (signedIn) await signInContext(context, t, 'fast@example.com');
      const page = await context.newPage();
      const scripts: string[] = [];
      page.on('request', (r) => {
        if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
      });
      for (const p of ['/', '/plans', ...(signedIn ? ['/wallet', '/lines', '/account', '/help'] : [])]) {
        await page.goto(`${t.url}${p}`);
        await page.locator('main').first().waitFor();
        await page.waitForLoadState('networkidle');
      }
      expect(scripts.length).toBeGreaterThan(1);
      expect(scripts.filter((s) => /\/assets\/staff-/.test(s) || s.startsWith('/api/docs'))).toEqual([]);
      await context.close();
    }
    // The console itself is still there for staff, in its own chunk.
    const staff = await browser.newContext({ viewport: VIEWPORTS.desktop });
    await t.ctx.identity.addStaff(
      { email: 'ops@operator.example.com', role: 'agent', locale: 'en' },
      { actor: { type: 'system', id: 'first-load test' } },
    );
    await signInContext(staff, t, 'ops@operator.example.com');
    const page = await staff.newPage();
    const loaded = page.waitForRequest((r) => /\/assets\/staff-[^/]+\.js$/.test(r.url()));
    await page.goto(`${t.url}/staff`);
    await loaded;
    await staff.close();
  });
});

describeBrowser('installable: a manifest from the brand settings and an offline page', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { BRAND_NAME: 'Skyline Mobile', BRAND_COLOR: '#0b7285' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the manifest and, once the connection is gone, a page that says so', async () => {
    const manifest = await (await fetch(`${t.url}/manifest.webmanifest`)).json();
    expect(manifest).toMatchObject({
      name: 'Skyline Mobile',
      theme_color: '#0b7285',
      start_url: '/',
      display: 'standalone',
    });
    expect(manifest.icons[0].src).toBe('/favicon.svg');

    for (const [locale, text] of [
      ['en-US', 'You are offline'],
      ['zh-CN', '您已离线'],
    ] as const) {
      const context = await browser.newContext({ locale, viewport: VIEWPORTS.phone });
      const page = await context.newPage();
      await page.goto(`${t.url}/`);
      expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe('/manifest.webmanifest');
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
      });
      await context.setOffline(true);
      await page.goto(`${t.url}/wallet`).catch(() => {});
      await page.getByText(text).waitFor();
      await expect.poll(() => page.locator('#brand').textContent()).toBe('Skyline Mobile');
      // Only the offline page, the manifest and the icon are kept: nothing personal.
      const kept = await page.evaluate(async () => {
        const names = await caches.keys();
        const urls: string[] = [];
        for (const n of names)
          for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
        return urls.sort();
      });
      expect(kept).toEqual(['/favicon.svg', '/manifest.webmanifest', '/offline.html', '/offline.js']);
      await context.close();
    }
  });
});
