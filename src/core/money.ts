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

/** Formats for people (emails, SMS): "¥12.50", "$3.00". */
export function formatMoney(value: MoneyValue, locale: string): string {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency: value.currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  return new Intl.NumberFormat(locale, { style: 'currency', currency: value.currency }).format(
    value.amount / 10 ** digits,
  );
}
