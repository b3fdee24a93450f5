import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { shot, signInContext, VIEWPORTS } from '../helpers/browser.js';

/** Serious and critical axe findings on the page as it is now, as readable lines. */
export async function violations(page: Page): Promise<string[]> {
  // Only the violations are worked out in full (passes and incomplete are not), which is faster.
  const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Every page at both sizes, each size in another language (the phone in Chinese, the desktop in
 * English): what differs between languages is text, which axe's findings rarely depend on, and all four
 * combinations take too long for the suite on a two-core machine. A11Y_EVERY_LANGUAGE=1 audits all four.
 */
export const COMBINATIONS = process.env.A11Y_EVERY_LANGUAGE
  ? (['en', 'zh-CN'] as const).flatMap((locale) =>
      (['phone', 'desktop'] as const).map((size) => ({ locale, size })),
    )
  : ([
      { locale: 'zh-CN', size: 'phone' },
      { locale: 'en', size: 'desktop' },
    ] as const);

/**
 * One test per page for each language at each size, the pages of one combination in one browser context
 * (signed in as `who`, or signed out), so each test stays short on a busy machine. A path's `:name`
 * parts are filled from `setup().ids` (known only once the suite's beforeAll has run). `shots` names
 * the pages to screenshot on a desktop (SCREENSHOT_DIR), as <name>-<locale>.png.
 */
export function auditEveryPage(
  who: string | null,
  paths: string[],
  setup: () => { t: TestApp; browser: Browser; ids?: Record<string, string> },
  shots: Record<string, string> = {},
): void {
  for (const { locale, size } of COMBINATIONS) {
    describe(`${locale}, ${size}`, () => {
      let context: BrowserContext;
      let page: Page;
      beforeAll(async () => {
        const { t, browser } = setup();
        context = await browser.newContext({
          locale: locale === 'en' ? 'en-US' : 'zh-CN',
          viewport: VIEWPORTS[size],
        });
        if (who) await signInContext(context, t, who, locale);
        page = await context.newPage();
      });
      afterAll(async () => {
        await context?.close();
      });
      for (const path of paths) {
        it(path, async () => {
          const { t, ids = {} } = setup();
          await page.goto(`${t.url}${path.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? name)}`);
          await page.locator('main').first().waitFor();
          await page.waitForLoadState('networkidle');
          expect(await violations(page)).toEqual([]);
          if (shots[path] && size === 'desktop') await shot(page, `${shots[path]}-${locale}`);
        }, 120_000);
      }
    });
  }
}
