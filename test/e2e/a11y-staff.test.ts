import type { Browser } from 'playwright-core';
import { beforeAll, expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { describeBrowser, startBrowserSuite } from '../helpers/browser.js';
import { activeLine } from '../helpers/lines.js';
import { api, signIn, signInStaff } from '../helpers/session.js';
import { auditEveryPage } from './a11y-audit.js';

describeBrowser(
  'accessibility of the staff console, in Chromium (axe: no serious or critical finding)',
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
      const { session } = await activeLine(t, 'a11y.customer@example.com');
      const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
        body: { subject: 'Help with roaming', message: 'Does it work in Osaka?' },
        headers: session.headers,
      });
      // A request to close an account, waiting in the review queue.
      const leaver = await signIn(t, 'a11y.leaver@example.com');
      const applied = await api(t, 'POST', '/api/v1/me/cancellation', { body: {}, headers: leaver.headers });
      expect(applied.status).toBe(201);
      await t.ctx.runner.drain();
      await signInStaff(t, 'a11y.admin@operator.example.com', 'admin');
      ids = { ticket: ticket.body.id, customer: session.account.id };
    });

    auditEveryPage(
      'a11y.admin@operator.example.com',
      [
        '/staff',
        '/staff/tickets',
        '/staff/tickets/:ticket',
        '/staff/customers?q=a11y.customer%40example.com',
        '/staff/customers/:customer', // the customer 360
        '/staff/cancellations', // the review queue
        '/staff/policies',
        '/staff/members',
        '/staff/usage-holds',
        '/staff/jobs',
        '/staff/audit',
      ],
      () => ({ t, browser, ids }),
      { '/staff/tickets/:ticket': 'staff-ticket', '/staff/customers/:customer': 'staff-customer-360' },
    );
  },
);
