import { describe, expect, it } from 'vitest';
import { localeFromAcceptLanguage, translate } from './i18n.js';

describe('server languages', () => {
  it('picks the best supported language from Accept-Language', () => {
    expect(localeFromAcceptLanguage(undefined)).toBe('en');
    expect(localeFromAcceptLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('zh-TW')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('fr-FR, en;q=0.5')).toBe('en');
    expect(localeFromAcceptLanguage('en;q=0.2, zh;q=0.9')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('de')).toBe('en');
  });

  it('translates with interpolation in each language', () => {
    expect(translate('en', 'errors.RATE_LIMITED', { retryAfter: 30 })).toContain('30 seconds');
    expect(translate('zh-CN', 'errors.RATE_LIMITED', { retryAfter: 30 })).toContain('30 秒');
  });
});
