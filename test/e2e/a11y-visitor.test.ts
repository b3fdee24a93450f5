import type { Browser } from 'playwright-core';
import { beforeAll } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, startBrowserSuite } from '../helpers/browser.js';
import { api } from '../helpers/session.js';
import { auditEveryPage } from './a11y-audit.js';

describeBrowser(
  'accessibility of the pages a visitor sees, in Chromium (axe: no serious or critical finding)',
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
      await api(t, 'POST', '/api/v1/auth/codes', { body: { channel: 'email', to: 'a11y@example.com' } });
      const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as { id: string }[];
      ids = { plan: plans[0]!.id };
    });

    auditEveryPage(
      null,
      ['/', '/sign-in', '/plans', '/plans?plan=:plan', '/dev/mailbox?to=a11y@example.com', '/no-such-page'],
      () => ({ t, browser, ids }),
    );
  },
);
