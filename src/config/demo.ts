import { ConfigError } from './env.js';
import type { EnvValues } from './env.schema.js';
import { type Config, DEMO_PARTS, type DemoPart, type Mode } from './types.js';

/** The demo parts in use: all in demo mode, in production only those allowed whose real part is missing. */
export function demoParts(v: EnvValues, mode: Mode): Set<DemoPart> {
  // Demo mode with a real payment adapter (its test mode, or a local peer) takes no test payments.
  const realProvider = v.PAYMENT_PROVIDER !== 'test';
  if (mode === 'demo') return new Set(DEMO_PARTS.filter((p) => p !== 'test-payments' || !realProvider));
  const allowed = new Set<DemoPart>();
  for (const part of (v.ESIMDESK_ALLOW_DEMO_PARTS ?? '').split(',').map((p) => p.trim())) {
    if (part === '') continue;
    if (!(DEMO_PARTS as readonly string[]).includes(part)) {
      throw new ConfigError(
        'ESIMDESK_ALLOW_DEMO_PARTS',
        `unknown part "${part}" (known: ${DEMO_PARTS.join(', ')})`,
      );
    }
    allowed.add(part as DemoPart);
  }
  // Production refuses a demo-only part unless its real counterpart is configured or it is allowed explicitly.
  const needs: Array<[DemoPart, string, boolean]> = [
    ['smdp-emulator', 'SMDP_URL', !v.SMDP_URL],
    ['test-payments', 'PAYMENT_PROVIDER', !realProvider],
    ['dev-mailbox', 'SMTP_URL', !v.SMTP_URL || !v.SMS_GATEWAY_URL],
  ];
  for (const [part, variable, missing] of needs) {
    if (missing && !allowed.has(part)) {
      throw new ConfigError(
        variable,
        `production mode needs a real ${part === 'dev-mailbox' ? 'SMTP relay and SMS gateway (SMTP_URL, SMS_GATEWAY_URL)' : variable}; set it, or allow the demo part with ESIMDESK_ALLOW_DEMO_PARTS=${part}`,
      );
    }
  }
  return new Set([...allowed].filter((part) => needs.some(([p, , missing]) => p === part && missing)));
}

const DEMO_PART_RISKS: Record<DemoPart, string> = {
  'smdp-emulator': 'eSIM profiles come from the built-in SM-DP+ emulator and install on no real device',
  'test-payments': 'top-ups are paid by the built-in test provider: money is credited that nobody paid',
  'dev-mailbox':
    'sign-in codes and notices go to the dev mailbox, readable by anyone through /api/v1/dev/messages, not to subscribers',
};

/**
 * One loud line per demo part in use, logged on every start (and shown in the staff console):
 * in demo mode one line for all, in production one per part allowed by ESIMDESK_ALLOW_DEMO_PARTS.
 */
export function demoPartWarnings(config: Pick<Config, 'mode' | 'demoParts'>): Array<{
  part: DemoPart | 'all';
  message: string;
}> {
  if (config.mode === 'demo')
    return [{ part: 'all', message: 'DEMO MODE: SM-DP+ emulator, test payments and dev mailbox are in use' }];
  return [...config.demoParts].map((part) => ({
    part,
    message: `PRODUCTION WITH A DEMO PART (${part}): ${DEMO_PART_RISKS[part]}. Remove it from ESIMDESK_ALLOW_DEMO_PARTS before taking real subscribers.`,
  }));
}
