/**
 * GSMA SGP.22 §4.1 activation code: `LPA:1$<SM-DP+ address>$<matching id>[$<SM-DP+ OID>[$<1 if a
 * confirmation code is required>]]`. "$" cannot appear inside a field. The LPA: prefix is optional on input.
 */
export interface ActivationCode {
  smdpAddress: string;
  matchingId: string;
  smdpOid: string | null;
  confirmationCodeRequired: boolean;
}

const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?$/;
const OID = /^\d+(?:\.\d+)+$/;

export function parseActivationCode(raw: string): ActivationCode | null {
  const text = raw.trim().replace(/^LPA:/i, '');
  const fields = text.split('$');
  if (fields[0] !== '1' || fields.length < 3 || fields.length > 5) return null;
  const [, address = '', matchingId = '', oid = '', confirm = ''] = fields;
  if (!HOST.test(address) || matchingId === '') return null;
  if (oid !== '' && !OID.test(oid)) return null;
  if (confirm !== '' && confirm !== '1') return null;
  return {
    smdpAddress: address,
    matchingId,
    smdpOid: oid || null,
    confirmationCodeRequired: confirm === '1',
  };
}

export function formatActivationCode(code: ActivationCode): string {
  for (const part of [code.smdpAddress, code.matchingId, code.smdpOid ?? '']) {
    if (part.includes('$')) throw new RangeError('activation code fields cannot contain $');
  }
  let text = `LPA:1$${code.smdpAddress}$${code.matchingId}`;
  if (code.smdpOid || code.confirmationCodeRequired) text += `$${code.smdpOid ?? ''}`;
  if (code.confirmationCodeRequired) text += '$1';
  return text;
}
