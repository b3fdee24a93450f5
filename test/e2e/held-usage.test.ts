import type { Browser } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, shot, signInContext, startBrowserSuite, VIEWPORTS } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, signInStaff } from '../helpers/session.js';

const GB = 1024 ** 3;

describeBrowser('held usage review in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY' } });
    ({ t, browser } = suite);
    return suite.close;
  });

  it('lets an admin approve a held usage record, which is then charged once', async () => {
    const admin = await signInStaff(t, 'boss@operator.example.com', 'admin');
    await api(t, 'PATCH', '/api/v1/staff/policies', {
      body: { usageHoldAboveMinor: 5000 },
      headers: admin.headers,
    });
    const { session, iccid } = await activeLine(t, 'roamer@example.com');
    const { key } = await t.ctx.usage.addServiceKey('mediation');
    const sent = await api(t, 'POST', '/api/v1/usage/records', {
      body: {
        records: [
          {
            id: 'big-1',
            iccid,
            type: 'data',
            bytes: 6 * GB,
            country: 'JP',
            startedAt: new Date().toISOString(),
          },
        ],
      },
      headers: { authorization: `Bearer ${key}` },
    });
    const holdId = sent.body.held[0].id as string;

    const context = await browser.newContext({ locale: 'en', viewport: VIEWPORTS.desktop });
    await signInContext(context, t, 'boss@operator.example.com');
    const page = await context.newPage();
    await page.goto(`${t.url}/staff`);
    await page.getByTestId('staff-nav-heldUsage').click();
    const row = page.getByTestId(`held-usage-${holdId}`);
    await row.getByText('CN¥102.40').waitFor();
    await shot(page, 'staff-held-usage-en');
    await row.getByRole('textbox').fill('Checked with the roaming partner');
    await page.getByTestId(`held-usage-approve-${holdId}`).click();
    await page.getByText('Approved: the charge is posted.').waitFor();
    expect(await row.count()).toBe(0);
    expect(await t.ctx.usage.arrears(session.account.id)).toBe(1024 * 10 - 6100);
    const approved = await api(t, 'GET', '/api/v1/staff/usage/holds?status=approved', {
      headers: admin.headers,
    });
    expect(approved.body.items).toEqual([
      expect.objectContaining({
        id: holdId,
        note: 'Checked with the roaming partner',
        decidedBy: admin.account.id,
      }),
    ]);
    await context.close();
  });
});
