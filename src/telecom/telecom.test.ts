import { describe, expect, it } from 'vitest';
import { formatActivationCode, parseActivationCode } from './activation-code.js';
import { eidWithCheckDigits, isValidEid } from './eid.js';
import { iccidForEs2, isValidIccid, makeIccid, normalizeIccid } from './iccid.js';
import { normalizeMsisdn } from './msisdn.js';

// Test vectors from shared/ESIM.md.
describe('EID (SGP.29, ISO 7064 MOD 97-10)', () => {
  it.each([
    '89049032123451234512345678901235',
    '89086030202200000022000023022943',
    '89044045116727494800000004479366',
  ])('accepts %s', (eid) => expect(isValidEid(eid)).toBe(true));
  it.each([
    '89049032123451234512345678901234',
    '8904903212345123451234567890123',
    '99049032123451234512345678901235',
    'x',
  ])('refuses %s', (eid) => expect(isValidEid(eid)).toBe(false));
  it('computes the check digits', () => {
    expect(eidWithCheckDigits('890490321234512345123456789012')).toBe('89049032123451234512345678901235');
  });
});

describe('ICCID (E.118, Luhn)', () => {
  it.each(['89852342022019785558', '89461177710001700003', '8948010000000000000', '8948010000000000000F'])(
    'accepts %s',
    (iccid) => expect(isValidIccid(iccid)).toBe(true),
  );
  it.each(['89238010000101000001', '89049032000001234567', '1234', ''])('refuses %s', (iccid) =>
    expect(isValidIccid(iccid)).toBe(false),
  );
  it('normalises the F-padded ES2+ form and pads 19-digit ICCIDs for the wire', () => {
    expect(normalizeIccid('8948010000000000000F')).toBe('8948010000000000000');
    expect(iccidForEs2('8948010000000000000')).toBe('8948010000000000000F');
    expect(iccidForEs2('89852342022019785558')).toBe('89852342022019785558');
  });
  it('allocates from an operator range with a correct check digit', () => {
    const iccid = makeIccid('8986001', 42, 20);
    expect(iccid).toHaveLength(20);
    expect(iccid.slice(0, 19)).toBe('8986001000000000042');
    expect(isValidIccid(iccid)).toBe(true);
    expect(isValidIccid(makeIccid('894801', 7, 19))).toBe(true);
    expect(() => makeIccid('8986001', 10 ** 13, 20)).toThrow(RangeError);
  });
});

describe('activation code (SGP.22 §4.1)', () => {
  it('parses the valid vectors', () => {
    expect(parseActivationCode('1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815')).toEqual({
      smdpAddress: 'SMDP.EXAMPLE.COM',
      matchingId: '04386-AGYFT-A74Y8-3F815',
      smdpOid: null,
      confirmationCodeRequired: false,
    });
    expect(parseActivationCode('LPA:1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$$1')).toMatchObject({
      smdpOid: null,
      confirmationCodeRequired: true,
    });
    expect(
      parseActivationCode('1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1'),
    ).toMatchObject({
      smdpOid: '1.3.6.1.4.1.31746',
      confirmationCodeRequired: true,
    });
  });
  it.each([
    '',
    '1$',
    'LPA:1$',
    '1$SMDP.EXAMPLE.COM',
    'xyz14390lojij',
    '2$SMDP.EXAMPLE.COM$X',
    '1$bad host$X',
  ])('refuses %j', (code) => expect(parseActivationCode(code)).toBeNull());
  it('formats with the LPA: prefix and round-trips', () => {
    for (const text of [
      'LPA:1$smdp.example.com$ABC',
      'LPA:1$smdp.example.com$ABC$$1',
      'LPA:1$smdp.example.com$ABC$1.2.3$1',
    ]) {
      expect(formatActivationCode(parseActivationCode(text)!)).toBe(text);
    }
    expect(() =>
      formatActivationCode({
        smdpAddress: 'a.example.com',
        matchingId: 'x$y',
        smdpOid: null,
        confirmationCodeRequired: false,
      }),
    ).toThrow();
  });
});

describe('MSISDN (E.164)', () => {
  it('normalises valid numbers and refuses invalid ones', () => {
    expect(normalizeMsisdn('+86 138 0013 8000')).toBe('+8613800138000');
    expect(normalizeMsisdn('+44 7911 123456')).toBe('+447911123456');
    expect(normalizeMsisdn('+86 12')).toBeNull();
    expect(normalizeMsisdn('13800138000')).toBeNull();
  });
});
