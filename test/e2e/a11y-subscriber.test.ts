import type { Browser } from 'playwright-core';
import { beforeAll } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, startBrowserSuite } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api } from '../helpers/session.js';
import { auditEveryPage } from './a11y-audit.js';

describeBrowser(
  'accessibility of the subscriber app, in Chromium (axe: no serious or critical finding)',
  () => {
    let t: TestApp;
    let browser: Browser;
    let ids: Record<string, string>;
    beforeAll(async () => {
      const suite = await startBrowserSuite({ env: { CURRENCY: 'CNY' } });
      ({ t, browser } = suite);
      return suite.close;
    });
    beforeAll(async () => {
      const { session, lineId } = await activeLine(t, 'a11y@example.com');
      const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
        body: { subject: 'Help with roaming', message: 'Does it work in Osaka?' },
        headers: session.headers,
      });
      await api(t, 'POST', '/api/v1/me/exports', { headers: session.headers });
      await t.ctx.runner.drain();
      const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as { id: string }[];
      ids = { line: lineId, ticket: ticket.body.id, plan: plans[0]!.id };
    });

    auditEveryPage(
      'a11y@example.com',
      [
        '/',
        '/plans',
        '/plans?plan=:plan', // the checkout sheet, open on a plan
        '/account',
        '/wallet',
        '/wallet?tab=transfer',
        '/wallet?tab=refund',
        '/lines',
        '/lines/:line',
        '/devices',
        '/usage',
        '/backup',
        '/account/close',
        '/help',
        '/help?new=1',
        '/help/:ticket',
        '/no-such-page',
      ],
      () => ({ t, browser, ids }),
    );
  },
);
