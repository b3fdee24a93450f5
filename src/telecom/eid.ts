/**
 * EID (GSMA SGP.29): 32 digits starting "89"; the last two are ISO/IEC 7064 MOD 97-10 check digits,
 * so the whole number mod 97 is 1 (as for IBANs).
 */
export function isValidEid(raw: string): boolean {
  const eid = raw.trim();
  return /^89\d{30}$/.test(eid) && BigInt(eid) % 97n === 1n;
}

/** Completes 30 leading digits with their two check digits. */
export function eidWithCheckDigits(first30: string): string {
  if (!/^89\d{28}$/.test(first30))
    throw new RangeError('an EID starts with 89 and has 30 digits before its check digits');
  const check = 98n - (BigInt(`${first30}00`) % 97n);
  return first30 + check.toString().padStart(2, '0');
}
