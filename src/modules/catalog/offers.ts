// What plans and add-ons (the lines module's extras) have in common as things an admin puts on sale.
import { AppError } from '../../core/errors.js';

/** The name of something sold in `locale`, from its names by language (JSON): else English, else its code. */
export function offerName(names: string, locale: string, code: string): string {
  const byLocale = JSON.parse(names) as Record<string, string>;
  return byLocale[locale] ?? byLocale.en ?? code;
}

/** 400 CURRENCY_MISMATCH unless an admin's price is in the operator currency. */
export function requireOperatorCurrency(price: { currency: string }, currency: string): void {
  if (price.currency !== currency)
    throw new AppError('CURRENCY_MISMATCH', { field: 'price.currency' }, { currency });
}
