import { Type } from 'typebox';

/** Money on the wire: integer minor units and an ISO 4217 currency (API.md). */
export const Money = Type.Object(
  {
    amount: Type.Integer({ description: 'Minor units (cents, fen); signed where it is a change' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  },
  { $id: 'Money', title: 'Money' },
);

/** An amount a caller asks to move: positive, whole, at most 10^12 minor units. */
export const PositiveMoney = Type.Object({
  amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
});

export interface MoneyValue {
  amount: number;
  currency: string;
}

export const money = (amount: number, currency: string): MoneyValue => ({ amount, currency });

const formats = new Map<string, Intl.NumberFormat>();
const digits = new Map<string, number>();

/** Building an Intl.NumberFormat costs far more than using one: keep one per locale and currency. */
function currencyFormat(locale: string, currency: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formats.set(key, format);
  }
  return format;
}

/** Digits after the decimal point of a currency (2 for CNY, 0 for JPY). */
export function minorDigits(currency: string): number {
  let n = digits.get(currency);
  if (n === undefined) {
    n = currencyFormat('en', currency).resolvedOptions().maximumFractionDigits ?? 2;
    digits.set(currency, n);
  }
  return n;
}

/** Formats for people (emails, SMS): "¥12.50", "$3.00". */
export function formatMoney(value: MoneyValue, locale: string): string {
  return currencyFormat(locale, value.currency).format(value.amount / 10 ** minorDigits(value.currency));
}
