import type { TFunction } from 'i18next';

/** An audit action (cancellation.approved) in words; an action this build does not know stays as its code. */
export function actionLabel(action: string, t: TFunction): string {
  return t(`audit.actions.${action}`, { defaultValue: action });
}

export { countryName } from '../../format.js';
