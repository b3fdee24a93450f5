import { Type } from 'typebox';
import { PositiveMoney } from '../../core/money.js';
import { STATEMENT_KINDS } from './wallet.service.js';

/** The wallet's HTTP shapes (top-up, transfer, refund, forfeit, statement line); the routes use them. */
export const MoneyRef = Type.Ref('Money');
/** An amount to move: a money object, or a bare integer of minor units in the operator's currency. */
export const AmountInput = Type.Union(
  [PositiveMoney, Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 })],
  {
    description: '{ amount, currency } in minor units (a bare integer means the operator currency)',
  },
);

export const Payment = Type.Object({
  id: Type.String(),
  status: Type.Enum(['pending', 'succeeded', 'failed']),
  amount: MoneyRef,
  testMode: Type.Boolean({
    description: "True when the built-in test payment provider or a real provider's test mode handled it",
  }),
  redirectUrl: Type.Optional(
    Type.String({
      description:
        "While pending: the provider's hosted page to send the subscriber to (Stripe Checkout, Alipay); it returns to /wallet?topup=<id>",
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
});
export const Transfer = Type.Object({
  id: Type.String(),
  status: Type.Literal('succeeded'),
  amount: MoneyRef,
  to: Type.Object({ id: Type.String(), display: Type.String() }),
  balanceAfter: MoneyRef,
  createdAt: Type.String({ format: 'date-time' }),
});
export const Refund = Type.Object({
  id: Type.String(),
  status: Type.Enum(['pending', 'succeeded', 'failed']),
  amount: MoneyRef,
  createdAt: Type.String({ format: 'date-time' }),
});
export const Forfeit = Type.Object({
  id: Type.String(),
  amount: MoneyRef,
  arrearsPaid: Type.Ref('Money', {
    description: 'What usage charged beyond the wallet, paid from the balance before the forfeit',
  }),
  balanceAfter: MoneyRef,
  createdAt: Type.String({ format: 'date-time' }),
});
export const StatementLine = Type.Object({
  id: Type.String(),
  kind: Type.Enum(STATEMENT_KINDS),
  amount: MoneyRef,
  balanceAfter: MoneyRef,
  reference: Type.Union([Type.String(), Type.Null()]),
  counterparty: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: 'The other side of a transfer, masked: 138****0001, a***@example.com',
    }),
  ),
  item: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: "What a purchase bought (plan or add-on), in the subscriber's language",
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
});
