import i18next, { type i18n, type TOptions } from 'i18next';
import { en } from '../locales/en.js';
import { zhCN } from '../locales/zh-CN.js';

/** Languages the server speaks. A new language is one file in src/locales plus one line here. */
export const SERVER_LOCALES = { en, 'zh-CN': zhCN } as const;
export type Locale = keyof typeof SERVER_LOCALES;
export const LOCALES = Object.keys(SERVER_LOCALES) as Locale[];
export const DEFAULT_LOCALE: Locale = 'en';

let instance: i18n | undefined;

function translator(): i18n {
  if (!instance) {
    instance = i18next.createInstance();
    void instance.init({
      resources: Object.fromEntries(
        Object.entries(SERVER_LOCALES).map(([lng, res]) => [lng, { translation: res }]),
      ),
      lng: DEFAULT_LOCALE,
      fallbackLng: DEFAULT_LOCALE,
      interpolation: { escapeValue: false },
      initAsync: false,
      showSupportNotice: false,
    } as Parameters<i18n['init']>[0]);
  }
  return instance;
}

export function translate(locale: Locale, key: string, params: TOptions = {}): string {
  const t = translator().t as unknown as (key: string, options: TOptions) => string;
  return t(key, { ...params, lng: locale });
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as string[]).includes(value);
}

/** Picks the best supported locale from an Accept-Language header (q-values honoured). */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((entry) => entry.tag !== '' && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const exact = LOCALES.find((l) => l.toLowerCase() === tag);
    if (exact) return exact;
    const base = tag.split('-')[0];
    const partial = LOCALES.find((l) => l.toLowerCase().split('-')[0] === base);
    if (partial) return partial;
  }
  return DEFAULT_LOCALE;
}
