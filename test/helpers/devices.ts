import { eidWithCheckDigits } from '../../src/telecom/eid.js';

/** A valid EID (correct MOD 97-10 check digits) for simulated device number n. */
export const deviceEid = (n: number) =>
  eidWithCheckDigits(`8904903200000000000000${String(n).padStart(8, '0')}`);
