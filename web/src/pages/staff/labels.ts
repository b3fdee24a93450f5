import type { TFunction } from 'i18next';

/** An audit action (cancellation.approved) in words; an action this build does not know stays as its code. */
export function actionLabel(action: string, t: TFunction): string {
  return t(`audit.actions.${action}`, { defaultValue: action });
}

/** A country code (JP) as its name in the reader's language (日本). */
export function countryName(code: string, language: string): string {
  try {
    return new Intl.DisplayNames([language], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}
