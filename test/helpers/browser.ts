import { type Browser, chromium } from 'playwright-core';
import { describe, inject } from 'vitest';
import { CHROMIUM_ARGS, TEST_ENV } from './env.js';

/** Debian's Chromium through playwright-core; nothing is downloaded. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: TEST_ENV.chromium, headless: true, args: CHROMIUM_ARGS });
}

/** A browser suite: skipped with a loud line outside CI when Chromium is missing (global setup fails in CI). */
export function describeBrowser(name: string, suite: () => void): void {
  (inject('chromium') ? describe : describe.skip)(name, suite);
}

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;
