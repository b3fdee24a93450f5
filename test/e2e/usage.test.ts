import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { deviceEid } from '../helpers/devices.js';
import { api, newKey, signIn, topUp } from '../helpers/session.js';
import { unzip } from '../helpers/zip.js';
import { navTo } from './nav.js';

describeBrowser('usage and data backup in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY', RUNNER_POLL_MS: '50' } });
    await t.ctx.catalog.seedDemo();
    const sub = await signIn(t, 'usage.viewer@example.com', { locale: 'zh-CN' });
    await topUp(t, sub, 10_000);
    const plan = (await api(t, 'GET', '/api/v1/plans?country=JP')).body.items[0];
    const lineId = (
      await api(t, 'POST', '/api/v1/me/lines', {
        body: { planId: plan.id },
        headers: { ...sub.headers, 'idempotency-key': newKey() },
      })
    ).body.id;
    await t.ctx.runner.drain();
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: sub.headers })).body;
    await api(t, 'POST', `/emulator/smdp/devices/${deviceEid(5)}/download`, {
      body: { activationCode: line.esim.activationCode },
    });
    // Three days up to now: usage that starts in the future or before the line's life is refused, so the
    // line is made to have started three days ago.
    const now = Date.now();
    await t.ctx.database.db
      .updateTable('lines')
      .set({ activated_at: new Date(now - 3 * 86_400_000).toISOString() })
      .where('id', '=', lineId)
      .execute();
    const records = [0, 1, 2].flatMap((day) => [
      {
        id: `d${day}`,
        iccid: line.esim.iccid,
        type: 'data',
        bytes: (day + 1) * 300 * 1024 * 1024,
        country: 'JP',
        startedAt: new Date(now - (2 - day) * 86_400_000).toISOString(),
      },
      {
        id: `v${day}`,
        iccid: line.esim.iccid,
        type: 'voice',
        durationSeconds: 125,
        direction: 'out',
        counterpart: '+81312345678',
        country: 'JP',
        startedAt: new Date(now - (2 - day) * 86_400_000).toISOString(),
      },
    ]);
    const { key } = await t.ctx.usage.addServiceKey('mediation');
    await api(t, 'POST', '/api/v1/usage/records', {
      body: { records },
      headers: { authorization: `Bearer ${key}` },
    });
    t.ctx.runner.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('charts usage per day, lists masked numbers, and downloads the backup ZIP (zh-CN)', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.phone });
    await signInContext(context, t, 'usage.viewer@example.com', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/usage`);
    await page.getByTestId('usage-chart').waitFor();
    expect(await page.locator('[data-testid="usage-chart"] rect').count()).toBe(3);
    await page.getByText('通话').first().click();
    await page.getByTestId('usage-table').getByText('+81312****5678').first().waitFor();
    // Where it happened, in the reader's words: 日本, never the code JP.
    expect(await page.getByTestId('usage-table').textContent()).toContain('日本');
    expect(await page.getByTestId('usage-table').textContent()).not.toMatch(/\bJP\b/);
    await shot(page, 'usage-zh-CN');

    await navTo(page, 'backup');
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-ready').waitFor({ timeout: 15_000 });
    await shot(page, 'backup-zh-CN');
    const href = await page.getByTestId('export-download').getAttribute('href');
    const zip = await unzip(Buffer.from(await (await fetch(`${t.url}${href}`)).arrayBuffer()));
    expect(zip.get('calls.csv')!.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(zip.get('README-说明.txt')).toContain('通话记录');
    await context.close();
  });
});
