/** What esimdesk needs from a payment provider. Outcomes always arrive as signed webhooks. */
export interface PaymentProvider {
  readonly name: string;
  /** True for the built-in test provider: shown as "test mode" wherever payments appear. */
  readonly testMode: boolean;
  /** Starts a payment; idempotent per paymentId. The outcome comes later as payment.succeeded / payment.failed. */
  createPayment(payment: {
    paymentId: string;
    amount: number;
    currency: string;
  }): Promise<{ providerRef: string }>;
  /** Refunds to the original payment methods; idempotent per refundId. Outcome: refund.succeeded / refund.failed. */
  refund(refund: {
    refundId: string;
    amount: number;
    currency: string;
    payments: Array<{ providerRef: string; amount: number }>;
  }): Promise<{ providerRef: string }>;
  /**
   * The provider's own record of a payment or refund, asked when its webhook is overdue (lost, or
   * refused as too old): settled (with the event that settles it), still pending, or unknown to it.
   */
  lookup(kind: 'payment' | 'refund', objectId: string): Promise<PaymentLookup>;
}

export type PaymentLookup =
  | { status: 'settled'; event: PaymentEvent }
  | { status: 'pending' }
  | { status: 'unknown' };

/** The webhook body every provider adapter delivers (the test provider natively, real ones after mapping). */
export interface PaymentEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed' | 'refund.succeeded' | 'refund.failed';
  data: { objectId: string; providerRef: string; amount: number; currency: string; reason?: string };
}
