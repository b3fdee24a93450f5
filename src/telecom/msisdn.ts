import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** An MSISDN in E.164 (+ and up to 15 digits), validated for its country's numbering plan; null if not valid. */
export function normalizeMsisdn(raw: string): string | null {
  const phone = parsePhoneNumberFromString(raw.trim());
  return phone?.isValid() ? phone.number : null;
}
