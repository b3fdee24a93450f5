import type { Page } from 'playwright-core';

const TABS = new Set(['plans', 'lines', 'wallet', 'help', 'account']);

/**
 * Goes to a subscriber section the way a person would at the page's width: the section row under the
 * header on wide screens, the bottom tab bar on phones, and the account page for the sections without a tab.
 */
export async function navTo(page: Page, key: string): Promise<void> {
  const row = page.getByTestId(`nav-${key}`);
  if ((await row.count()) === 1 && (await row.isVisible())) return row.click();
  if (TABS.has(key)) return page.getByTestId(`tabbar-${key}`).click();
  await page.getByTestId('tabbar-account').click();
  await page.getByTestId(`account-link-${key}`).click();
}
