import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';

/** Languages of the web app. A new language is one JSON file here plus one line below. */
export const WEB_LOCALES = { en, 'zh-CN': zhCN } as const;
export type WebLocale = keyof typeof WEB_LOCALES;
export const LOCALE_CODES = Object.keys(WEB_LOCALES) as WebLocale[];

const STORAGE_KEY = 'esimdesk.locale';

function initialLocale(): WebLocale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && stored in WEB_LOCALES) return stored as WebLocale;
  for (const lang of navigator.languages) {
    const exact = LOCALE_CODES.find((l) => l.toLowerCase() === lang.toLowerCase());
    if (exact) return exact;
    const base = LOCALE_CODES.find((l) => l.split('-')[0] === lang.split('-')[0]);
    if (base) return base;
  }
  return 'en';
}

export function setLocale(locale: WebLocale): void {
  localStorage.setItem(STORAGE_KEY, locale);
  void i18next.changeLanguage(locale);
}

i18next.on('languageChanged', (lng) => {
  document.documentElement.lang = lng;
});

void i18next.use(initReactI18next).init({
  resources: Object.fromEntries(Object.entries(WEB_LOCALES).map(([lng, res]) => [lng, { translation: res }])),
  lng: initialLocale(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  showSupportNotice: false,
} as Parameters<typeof i18next.init>[0]);

export { i18next };
