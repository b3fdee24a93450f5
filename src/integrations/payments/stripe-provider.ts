import Stripe from 'stripe';
import type { StripeConfig } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import {
  type LookupObject,
  type PaymentEvent,
  type PaymentLookup,
  type PaymentProvider,
  type RefundPart,
  refundOutcome,
  type Settle,
  settleRefundCall,
  type WebhookRequest,
} from './provider.js';
import { REPLAY_WINDOW_SECONDS } from './signature.js';

/** The API version this adapter is written and tested against (sent as Stripe-Version). */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

/**
 * How long the hosted page takes payment, from our payment's creation (Checkout's `expires_at`, which
 * Stripe takes between 30 minutes and 24 hours ahead). It is fixed by the payment's own time so that
 * asking again with the same idempotency key sends the same parameters; an unpaid page then ends in
 * an hour with Stripe's `checkout.session.expired` instead of lingering for a day.
 */
export const STRIPE_CHECKOUT_WINDOW_MS = 60 * 60 * 1000;
/**
 * A payment that has no Checkout Session of ours this long after its creation never reached Stripe
 * (Stripe down when it was asked, and not asked again): no page of it can take money any more.
 */
const NEVER_CREATED_AFTER_MS = STRIPE_CHECKOUT_WINDOW_MS + 10 * 60 * 1000;

/** Our own record of a payment or refund, as the adapter needs it. */
export type OurObject = LookupObject & { amount: number; currency: string };

type Part = RefundPart;

/**
 * The Stripe adapter: top-ups through Stripe Checkout (the hosted page), refunds against the
 * original payment intents, outcomes from webhooks checked with the SDK's constructEvent.
 */
export function createStripeProvider(deps: {
  config: StripeConfig;
  clock: Clock;
  /** Our record of a payment or refund (its provider ref), for webhooks that only name it. */
  objectOf: (kind: 'payment' | 'refund', id: string) => Promise<OurObject | null>;
  settle: Settle;
  /** Retries of one API call on network errors and 5xx (the SDK's own, with the same idempotency key). */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}): PaymentProvider {
  const { config, clock } = deps;
  const api = config.apiUrl ? new URL(config.apiUrl) : null;
  const stripe = new Stripe(config.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: deps.maxNetworkRetries ?? 2,
    timeout: deps.timeoutMs ?? 20_000,
    telemetry: false,
    appInfo: { name: 'esimdesk' },
    ...(api && {
      host: api.hostname,
      port: api.port || (api.protocol === 'https:' ? 443 : 80),
      protocol: api.protocol === 'https:' ? 'https' : 'http',
    }),
  });

  const minor = (amount: number | null) => amount ?? -1;
  const upper = (currency: string | null) => (currency ?? '').toUpperCase();

  function sessionEvent(
    id: string,
    session: Stripe.Checkout.Session,
    type: PaymentEvent['type'],
    reason?: string,
  ): PaymentEvent {
    if (!session.client_reference_id) throw badEvent('checkout session without client_reference_id');
    const intent = session.payment_intent;
    return {
      id,
      type,
      data: {
        objectId: session.client_reference_id,
        providerRef: (typeof intent === 'string' ? intent : intent?.id) ?? session.id,
        amount: minor(session.amount_total),
        currency: upper(session.currency),
        ...(reason ? { reason } : {}),
      },
    };
  }

  /** What a session says about its payment now: an outcome, or null while it can still go either way. */
  function sessionOutcome(eventId: string, session: Stripe.Checkout.Session): PaymentEvent | null {
    if (session.status === 'expired')
      return sessionEvent(eventId, session, 'payment.failed', 'the checkout page expired unpaid');
    if (session.status === 'complete' && session.payment_status === 'paid')
      return sessionEvent(eventId, session, 'payment.succeeded');
    return null;
  }

  /**
   * A session complete but unpaid was paid by an asynchronous method (Alipay, WeChat Pay): its payment
   * intent says whether that is still processing, went through, or failed (the session itself stays
   * complete and unpaid after async_payment_failed, so without this a lost webhook left it pending).
   */
  async function asyncOutcome(
    eventId: string,
    session: Stripe.Checkout.Session,
  ): Promise<PaymentEvent | null> {
    if (session.status !== 'complete' || !session.payment_intent) return null;
    const intent =
      typeof session.payment_intent === 'string'
        ? await stripe.paymentIntents.retrieve(session.payment_intent)
        : session.payment_intent;
    if (intent.status === 'succeeded') return sessionEvent(eventId, session, 'payment.succeeded');
    if (intent.status === 'requires_payment_method' || intent.status === 'canceled')
      return sessionEvent(eventId, session, 'payment.failed', 'the payment method declined');
    return null;
  }

  /**
   * Parts are kept in our provider_ref as `<payment intent>=<refund id>`, or `<payment intent>=!<amount>:<code>`
   * for a part Stripe refused at once, comma-separated.
   */
  function encodeParts(parts: Array<{ paymentRef: string; refund: string }>): string {
    return parts.map((p) => `${p.paymentRef}=${p.refund}`).join(',');
  }

  async function partsOf(providerRef: string): Promise<Part[]> {
    const parts: Part[] = [];
    for (const entry of providerRef.split(',')) {
      const [paymentRef = '', ref = ''] = entry.split('=');
      const refused = /^!(\d+):(.*)$/.exec(ref);
      if (refused) {
        parts.push({ paymentRef, status: 'failed', amount: Number(refused[1]), reason: refused[2] });
        continue;
      }
      const refund = await stripe.refunds.retrieve(ref);
      parts.push(refundPart(refund));
    }
    return parts;
  }

  function refundPart(refund: Stripe.Refund): Part {
    const paymentRef =
      typeof refund.payment_intent === 'string' ? refund.payment_intent : (refund.payment_intent?.id ?? '');
    const status =
      refund.status === 'succeeded'
        ? 'succeeded'
        : refund.status === 'failed' || refund.status === 'canceled'
          ? 'failed'
          : 'pending';
    return {
      paymentRef,
      status,
      amount: refund.amount,
      ...(refund.failure_reason ? { reason: refund.failure_reason } : {}),
    };
  }

  /** What Stripe says of our refund now; `known` is our record of it when the caller has read it already. */
  async function refundLookup(
    eventId: string,
    refundId: string,
    known?: OurObject | null,
  ): Promise<PaymentEvent | null> {
    const refund = known === undefined ? await deps.objectOf('refund', refundId) : known;
    if (!refund?.providerRef) return null;
    const parts = await partsOf(refund.providerRef);
    return refundOutcome(
      eventId,
      { refundId, amount: refund.amount, currency: refund.currency, providerRef: refund.providerRef },
      parts,
    );
  }

  const provider: PaymentProvider = {
    name: 'stripe',
    testMode: config.testMode,

    async createPayment({ paymentId, amount, currency, returnUrl, createdAt }) {
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: paymentId,
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: currency.toLowerCase(),
                unit_amount: amount,
                product_data: { name: 'Balance top-up' },
              },
            },
          ],
          allowed_payment_method_types:
            config.paymentMethods as Stripe.Checkout.SessionCreateParams.AllowedPaymentMethodType[],
          ...(config.paymentMethods.includes('wechat_pay')
            ? { payment_method_options: { wechat_pay: { client: 'web' as const } } }
            : {}),
          metadata: { payment_id: paymentId },
          payment_intent_data: { metadata: { payment_id: paymentId } },
          success_url: returnUrl,
          cancel_url: returnUrl,
          expires_at: Math.floor((Date.parse(createdAt) + STRIPE_CHECKOUT_WINDOW_MS) / 1000),
        },
        { idempotencyKey: paymentId },
      );
      return { providerRef: session.id, redirectUrl: session.url };
    },

    async refund({ refundId, amount, currency, payments }) {
      const parts: Array<{ paymentRef: string; refund: string }> = [];
      const states: Part[] = [];
      for (const payment of payments) {
        try {
          const created = await stripe.refunds.create(
            {
              payment_intent: payment.providerRef,
              amount: payment.amount,
              metadata: { refund_id: refundId, payment_id: payment.paymentId },
            },
            { idempotencyKey: `${refundId}-${payment.paymentId}` },
          );
          parts.push({ paymentRef: payment.providerRef, refund: created.id });
          states.push(refundPart(created));
        } catch (error) {
          // Stripe refused this part for good (already refunded, disputed, …): its money comes back.
          if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
          const reason = (error.code ?? 'refused').replace(/[=,:!]/g, ' ');
          parts.push({ paymentRef: payment.providerRef, refund: `!${payment.amount}:${reason}` });
          states.push({ paymentRef: payment.providerRef, status: 'failed', amount: payment.amount, reason });
        }
      }
      const providerRef = encodeParts(parts);
      return settleRefundCall(deps.settle, 'stripe', { refundId, amount, currency, providerRef }, states);
    },

    async lookup(kind, object): Promise<PaymentLookup> {
      const eventId = `stripe-lookup:${object.id}`;
      if (kind === 'payment') {
        if (!object.providerRef?.startsWith('cs_')) {
          const ours = await deps.objectOf('payment', object.id);
          if (!ours || clock.now().getTime() - Date.parse(object.createdAt) < NEVER_CREATED_AFTER_MS)
            return { status: 'unknown' };
          return {
            status: 'settled',
            event: {
              id: `${eventId}:never-created`,
              type: 'payment.failed',
              data: {
                objectId: object.id,
                providerRef: '',
                amount: ours.amount,
                currency: ours.currency,
                reason: 'never reached Stripe',
              },
            },
          };
        }
        const session = await stripe.checkout.sessions.retrieve(object.providerRef);
        const event = sessionOutcome(eventId, session) ?? (await asyncOutcome(eventId, session));
        return event ? { status: 'settled', event } : { status: 'pending' };
      }
      const event = await refundLookup(eventId, object.id);
      return event
        ? { status: 'settled', event }
        : object.providerRef
          ? { status: 'pending' }
          : { status: 'unknown' };
    },

    async webhook(request: WebhookRequest) {
      const header = request.headers['stripe-signature'];
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(
          request.rawBody,
          typeof header === 'string' ? header : '',
          config.webhookSecret,
          REPLAY_WINDOW_SECONDS,
          undefined,
          clock.now().getTime(),
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        if (/tolerance/i.test(message)) throw new AppError('WEBHOOK_EXPIRED', { header: 'Stripe-Signature' });
        throw new AppError('INVALID_SIGNATURE', { header: 'Stripe-Signature' });
      }
      // constructEvent lets a timestamp from the future through; a replay window is two-sided.
      const signedAt = Number(/(?:^|,)t=(\d+)/.exec(String(header))?.[1]);
      if (signedAt - clock.now().getTime() / 1000 > REPLAY_WINDOW_SECONDS)
        throw new AppError('WEBHOOK_EXPIRED', { header: 'Stripe-Signature' });
      return { events: await mapEvent(event) };
    },
  };

  async function mapEvent(event: Stripe.Event): Promise<PaymentEvent[]> {
    switch (event.type) {
      case 'checkout.session.completed': {
        // Paid at once (cards); an asynchronous method (Alipay, WeChat Pay) settles with its own event.
        const session = event.data.object;
        return session.payment_status === 'paid'
          ? [sessionEvent(event.id, session, 'payment.succeeded')]
          : [];
      }
      case 'checkout.session.async_payment_succeeded':
        return [sessionEvent(event.id, event.data.object, 'payment.succeeded')];
      case 'checkout.session.async_payment_failed':
        return [sessionEvent(event.id, event.data.object, 'payment.failed', 'the payment method declined')];
      case 'checkout.session.expired':
        return [
          sessionEvent(event.id, event.data.object, 'payment.failed', 'the checkout page expired unpaid'),
        ];
      case 'refund.created':
      case 'refund.updated':
      case 'refund.failed':
      case 'charge.refund.updated': {
        // One part of a refund changed: the refund's outcome is read from all its parts at Stripe.
        const refundId = event.data.object.metadata?.refund_id;
        if (!refundId) return [];
        const ours = await deps.objectOf('refund', refundId);
        if (!ours) return [];
        // Stripe can tell of a refund before our submission has recorded Stripe's answer: answered
        // 409, Stripe delivers the event again, and by then the refund's parts are known.
        if (!ours.providerRef) throw new AppError('WEBHOOK_TOO_EARLY', { refundId });
        const settled = await refundLookup(event.id, refundId, ours);
        return settled ? [settled] : [];
      }
      default:
        return [];
    }
  }

  return provider;
}

function badEvent(reason: string): AppError {
  return new AppError('VALIDATION_FAILED', { field: 'body', in: 'body' }, { reason });
}
