import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { AppError } from '../../core/errors.js';
import type { Channel } from '../../db/schema.js';

const EMAIL =
  /^[^\s@"<>()[\]\\,;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** Lower-cased and trimmed; one address, no display name. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw new AppError('INVALID_EMAIL', { field: 'to' });
  return email;
}

/** E.164. Without a leading + the number is read as national to the operator's country. */
export function normalizePhone(raw: string, defaultCountry: string): string {
  const phone = parsePhoneNumberFromString(raw.trim(), { defaultCountry: defaultCountry as never });
  if (!phone?.isValid()) throw new AppError('INVALID_PHONE', { field: 'to' });
  return phone.number;
}

export function normalizeTarget(channel: Channel, raw: string, defaultCountry: string): string {
  return channel === 'email' ? normalizeEmail(raw) : normalizePhone(raw, defaultCountry);
}

/** Shows enough of an address for a person to recognise it: a***@example.com, +86 *** **** 8000. */
export function maskTarget(target: string): string {
  if (target.includes('@')) {
    const [local = '', domain = ''] = target.split('@');
    return `${local.slice(0, 1)}***@${domain}`;
  }
  return `${target.slice(0, 3)}******${target.slice(-4)}`;
}
