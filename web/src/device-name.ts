import type { TFunction } from 'i18next';

/**
 * The server names a new device "Device ·<last 4 of the EID>" until its owner renames it; say it in the
 * reader's language, spaced evenly around the dot ("Device · 5004", "设备 · 5004").
 */
export function deviceName(name: string, t: TFunction): string {
  const generated = /^Device\s*·\s*(\w{4})$/.exec(name);
  return generated ? t('devices.defaultName', { last4: generated[1] }) : name;
}
