import { luhnCheckDigit, luhnValid } from './luhn.js';

/**
 * ICCID (ITU-T E.118): "89" + country calling code + issuer + account + one Luhn check digit; 19 or 20
 * digits in practice. ES2+ carries 19-digit ICCIDs padded with a trailing F: accept both, return digits.
 */
export function normalizeIccid(raw: string): string | null {
  const value = raw.trim().toUpperCase().replace(/F$/, '');
  if (!/^89\d{17,18}$/.test(value) || !luhnValid(value)) return null;
  return value;
}

export function isValidIccid(raw: string): boolean {
  return normalizeIccid(raw) !== null;
}

/** The ES2+ wire form: 19-digit ICCIDs padded to 20 characters with F. */
export function iccidForEs2(iccid: string): string {
  return iccid.length === 19 ? `${iccid}F` : iccid;
}

/** Builds an ICCID in the operator's range: prefix + zero-padded serial + Luhn digit, `length` digits long. */
export function makeIccid(prefix: string, serial: number, length: 19 | 20): string {
  const body = length - 1 - prefix.length;
  if (!/^89\d+$/.test(prefix) || body < 1)
    throw new RangeError(`bad ICCID prefix ${prefix} for length ${length}`);
  const serialText = String(serial).padStart(body, '0');
  if (serialText.length > body)
    throw new RangeError(`serial ${serial} does not fit the ICCID range ${prefix}`);
  const payload = prefix + serialText;
  return payload + luhnCheckDigit(payload);
}
