import type { Browser } from 'playwright-core';
import { Type } from 'typebox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineJob } from '../../src/runner/jobs.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeBrowser, launchBrowser, shot, signInContext, VIEWPORTS } from '../helpers/browser.js';
import { api, signIn } from '../helpers/session.js';

describeBrowser('staff console in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { CURRENCY: 'CNY' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lets an admin change a policy, invite staff and retry a dead job; the dashboard counts what waits', async () => {
    await t.ctx.identity.addStaff(
      { email: 'boss@operator.example.com', role: 'admin', locale: 'zh-CN' },
      { actor: { type: 'system', id: 'test' } },
    );
    const admin = await signIn(t, 'boss@operator.example.com');
    const customer = await signIn(t, 'waiting@example.com');
    await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'Roaming in Japan', message: 'Does my plan work in Osaka?' },
      headers: customer.headers,
    });
    let fail = true;
    const flaky = defineJob({
      kind: 'test.console-flaky',
      payload: Type.Object({}),
      maxAttempts: 1,
      handle: async () => {
        if (fail) throw new Error('SM-DP+ answered 503');
      },
    });
    t.ctx.jobs.register(flaky);
    const jobId = (await t.ctx.jobs.enqueue(t.ctx.database.db, flaky, {}))!;
    await t.ctx.runner.drain();

    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.desktop });
    await signInContext(context, t, 'boss@operator.example.com', 'zh-CN');
    const page = await context.newPage();
    await page.goto(`${t.url}/staff`);
    await expect.poll(() => page.getByTestId('figure-unanswered').textContent()).toBe('1');
    expect(await page.getByTestId('figure-deadJobs').textContent()).toBe('1');
    await shot(page, 'staff-dashboard-zh-CN');

    await page.getByTestId('staff-nav-policies').click();
    await page.locator('[data-testid="policy-reviewDays"]').fill('2');
    await page.getByTestId('policies-save').click();
    await page.getByText('已保存，立即生效。').waitFor();
    expect((await api(t, 'GET', '/api/v1/staff/policies', { headers: admin.headers })).body.reviewDays).toBe(
      2,
    );
    await shot(page, 'staff-policies-zh-CN');

    await page.getByTestId('staff-nav-members').click();
    await page.getByTestId('member-email').fill('newcomer@operator.example.com');
    await page.getByTestId('member-invite').click();
    await page.getByTestId('members-table').getByText('newcomer@operator.example.com').waitFor();
    await shot(page, 'staff-members-zh-CN');

    await page.getByTestId('staff-nav-jobs').click();
    await page.getByTestId('jobs-table').getByText('SM-DP+ answered 503').waitFor();
    await shot(page, 'staff-jobs-zh-CN');
    fail = false;
    await page.getByRole('button', { name: '立即重试' }).click();
    // The click's request reaches the server in its own time: drain on every look until the job ran.
    const jobStatus = async () => {
      await t.ctx.runner.drain();
      const job = await t.ctx.database.db
        .selectFrom('jobs')
        .select('status')
        .where('id', '=', jobId)
        .executeTakeFirstOrThrow();
      return job.status;
    };
    await expect.poll(jobStatus).toBe('succeeded');

    await page.getByTestId('staff-nav-audit').click();
    await page.getByTestId('audit-table').getByText('policies.updated').waitFor();
    await page.getByTestId('audit-table').getByText('job.retried').waitFor();
    await context.close();
  });
});
