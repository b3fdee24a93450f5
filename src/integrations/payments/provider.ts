/**
 * What esimdesk needs from a payment provider. Outcomes arrive as signed webhooks (or, for calls a
 * provider answers at once, through `settle`), and the reconciler asks `lookup` when one is overdue.
 */
export interface PaymentProvider {
  readonly name: string;
  /** True for the built-in test provider and for a real provider's test mode: shown as "test mode". */
  readonly testMode: boolean;
  /**
   * Starts a payment; idempotent per paymentId (asking again answers the same payment and page). The
   * outcome comes later as payment.succeeded / payment.failed. `redirectUrl`: the provider's hosted
   * page the subscriber pays on (null when nothing is to be done there, as with the test provider).
   */
  createPayment(payment: {
    paymentId: string;
    amount: number;
    currency: string;
    /** Where the hosted page sends the subscriber back to. */
    returnUrl: string;
    /** A phone gets the provider's mobile page where it has one. */
    client: 'phone' | 'desktop';
    /** When the payment began (a hosted page's expiry is counted from it). */
    createdAt: string;
  }): Promise<{ providerRef: string; redirectUrl: string | null }>;
  /**
   * Refunds to the original payment methods, one part per payment; idempotent per refundId. Outcome:
   * refund.succeeded / refund.failed. `providerRef` names every part (comma-separated).
   */
  refund(refund: {
    refundId: string;
    amount: number;
    currency: string;
    payments: Array<{ paymentId: string; providerRef: string; amount: number }>;
  }): Promise<{ providerRef: string }>;
  /**
   * The provider's own record of a payment or refund, asked when its webhook is overdue (lost, or
   * refused as too old): settled (with the event that settles it), still pending, or unknown to it.
   */
  lookup(kind: 'payment' | 'refund', object: LookupObject): Promise<PaymentLookup>;
  /**
   * Checks a provider's own webhook (signature, age) and maps it onto our events; absent for the
   * test provider, whose webhooks are PaymentEvents signed by us. Throws INVALID_SIGNATURE or
   * WEBHOOK_EXPIRED. `reply` is the body the provider expects back (Alipay: "success").
   */
  webhook?(request: WebhookRequest): Promise<{ events: PaymentEvent[]; reply?: string }>;
}

export interface LookupObject {
  id: string;
  /** What the provider called it when it was created (null: it may never have reached the provider). */
  providerRef: string | null;
  createdAt: string;
}

export interface WebhookRequest {
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
}

export type PaymentLookup =
  | { status: 'settled'; event: PaymentEvent }
  | { status: 'pending' }
  | { status: 'unknown' };

/** The webhook body every provider adapter delivers (the test provider natively, real ones after mapping). */
export interface PaymentEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed' | 'refund.succeeded' | 'refund.failed';
  data: {
    objectId: string;
    providerRef: string;
    amount: number;
    currency: string;
    reason?: string;
    /**
     * refund.failed of a refund split across payments where some parts went through: how much of it
     * did reach the subscriber, and the payments (their provider refs) whose part failed.
     */
    partial?: { refunded: number; failedPayments: string[] };
  };
}

/** Applies an event exactly once through the webhook handler (for outcomes a provider answers at once). */
export type Settle = (event: PaymentEvent) => Promise<unknown>;

/** The payment provider could not be reached or refused to work: nothing was applied; try again. */
export class ProviderUnavailableError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
    this.name = 'ProviderUnavailableError';
  }
}

/** One part of a refund split across payments, as the provider has it now. */
export interface RefundPart {
  /** The payment's id or provider ref. */
  paymentRef: string;
  status: 'succeeded' | 'failed' | 'pending';
  amount: number;
  reason?: string;
}

/** A refund's outcome once every part is final: succeeded, or failed (in part, saying how much went out). */
export function refundOutcome(
  eventId: string,
  refund: { refundId: string; amount: number; currency: string; providerRef: string },
  parts: RefundPart[],
): PaymentEvent | null {
  if (parts.length === 0 || parts.some((p) => p.status === 'pending')) return null;
  const data = {
    objectId: refund.refundId,
    providerRef: refund.providerRef,
    amount: refund.amount,
    currency: refund.currency,
  };
  const failed = parts.filter((p) => p.status === 'failed');
  if (failed.length === 0) return { id: eventId, type: 'refund.succeeded', data };
  const refunded = parts.filter((p) => p.status === 'succeeded').reduce((sum, p) => sum + p.amount, 0);
  return {
    id: eventId,
    type: 'refund.failed',
    data: {
      ...data,
      reason: failed.map((p) => p.reason ?? 'refused').join('; '),
      ...(refunded > 0 ? { partial: { refunded, failedPayments: failed.map((p) => p.paymentRef) } } : {}),
    },
  };
}

/**
 * What a refund call ends with: the refund settled at once (event `<provider>-refund:<refund id>`) when
 * every part already has its answer (refundOutcome), else left to the webhook or the reconciling
 * lookup; answers the reference to keep.
 */
export async function settleRefundCall(
  settle: Settle,
  provider: string,
  refund: { refundId: string; amount: number; currency: string; providerRef: string },
  parts: RefundPart[],
): Promise<{ providerRef: string }> {
  const outcome = refundOutcome(`${provider}-refund:${refund.refundId}`, refund, parts);
  if (outcome) await settle(outcome);
  return { providerRef: refund.providerRef };
}
