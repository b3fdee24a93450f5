import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';
import { AppError } from '../../core/errors.js';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/en.json'));
countries.registerLocale(require('i18n-iso-countries/langs/zh.json'));

/** ISO 3166 alpha-2, upper case; 400 INVALID_COUNTRY otherwise. */
export function countryCode(raw: string, field = 'country'): string {
  const code = raw.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || !countries.isValid(code)) throw new AppError('INVALID_COUNTRY', { field });
  return code;
}

/** The country's name in the user's language (zh-CN → zh), from the i18n-iso-countries data. */
export function countryName(code: string, locale: string): string {
  return countries.getName(code, locale.split('-')[0] ?? 'en') ?? countries.getName(code, 'en') ?? code;
}
