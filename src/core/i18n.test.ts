import { describe, expect, it } from 'vitest';
import { localeFromAcceptLanguage, SERVER_LOCALES, translate } from './i18n.js';

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

  it('has every key in every language, with the same placeholders', () => {
    const keys = (value: unknown, prefix = ''): Array<[string, string]> =>
      typeof value === 'string'
        ? [[prefix, value]]
        : Object.entries(value as object).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
    const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const [reference, ...others] = Object.entries(SERVER_LOCALES).map(([locale, messages]) => ({
      locale,
      entries: new Map(keys(messages)),
    }));
    for (const other of others) {
      expect([...other.entries.keys()].sort(), other.locale).toEqual([...reference!.entries.keys()].sort());
      for (const [key, text] of reference!.entries) {
        expect(placeholders(other.entries.get(key) ?? ''), `${other.locale} ${key}`).toEqual(
          placeholders(text),
        );
        expect(other.entries.get(key), `${other.locale} ${key}`).not.toBe('');
      }
    }
  });
});
