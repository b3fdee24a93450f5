import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../src/integrations/payments/stripe-provider.js';

/**
 * A local Stripe for tests: it speaks the HTTP API the adapter uses (form-encoded requests of the
 * pinned API version, Bearer key, idempotency keys) through the official SDK pointed at it, keeps
 * sessions, payment intents and refunds, serves a minimal hosted Checkout page, and delivers webhooks
 * signed with the SDK's own generateTestHeaderString — held, duplicated, reordered, stale or failed on
 * demand. Every answer is typed with the SDK's types, so a wrong shape fails to compile.
 */
export interface StripePeerOptions {
  secretKey: string;
  webhookSecret: string;
  /** The time the peer signs and stamps with (the app's clock in tests that move time). */
  clock?: { now(): Date };
}

type Form = Record<string, string>;
export interface Delivery {
  event: Stripe.Event;
  payload: string;
}
/** When an event answered other than 200 is delivered again, after the first try. */
const REDELIVERY_MS = [100, 250, 500, 1_000, 2_000];

export type RefundOutcome = 'succeeded' | 'pending' | 'failed' | 'refused';

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export async function startStripePeer(options: StripePeerOptions) {
  const now = () => Math.floor((options.clock?.now() ?? new Date()).getTime() / 1000);
  const sessions = new Map<string, Stripe.Checkout.Session>();
  const refunds = new Map<string, Stripe.Refund>();
  /** Payment intents: amount, refunded so far, and where the payment stands. */
  const intents = new Map<
    string,
    {
      amount: number;
      refunded: number;
      currency: string;
      status: Stripe.PaymentIntent.Status;
      created: number;
    }
  >();
  const idempotent = new Map<string, { body: string; status: number; answer: unknown }>();
  /** Every API request: method, path, its form fields and headers (what the SDK sent). */
  const requests: Array<{ method: string; path: string; form: Form; headers: IncomingMessage['headers'] }> =
    [];
  const held: Delivery[] = [];
  const failed: Delivery[] = [];
  const state = {
    webhookUrl: '',
    /** The app's real address: success_url keeps its path but goes there (PUBLIC_URL is fixed in tests). */
    appUrl: '',
    /** deliver: at once (an answer other than 200 is delivered again a few times, then kept in `failed`); hold: kept until released. */
    webhooks: 'deliver' as 'deliver' | 'hold',
    down: false,
    refundOutcome: 'succeeded' as RefundOutcome,
  };

  function session(params: Form, sessionId: string, url: string): Stripe.Checkout.Session {
    const created = now();
    return {
      id: sessionId,
      object: 'checkout.session',
      adaptive_pricing: null,
      after_expiration: null,
      allow_promotion_codes: null,
      allowed_payment_method_types: methodsOf(params),
      amount_subtotal: Number(params['line_items[0][price_data][unit_amount]']),
      amount_total: Number(params['line_items[0][price_data][unit_amount]']),
      automatic_tax: { enabled: false, liability: null, provider: null, status: null },
      billing_address_collection: null,
      cancel_url: params.cancel_url ?? null,
      client_reference_id: params.client_reference_id ?? null,
      client_secret: null,
      collected_information: null,
      consent: null,
      consent_collection: null,
      created,
      currency: params['line_items[0][price_data][currency]'] ?? null,
      currency_conversion: null,
      custom_fields: [],
      custom_text: {
        after_submit: null,
        shipping_address: null,
        submit: null,
        terms_of_service_acceptance: null,
      },
      customer: null,
      customer_account: null,
      customer_creation: 'if_required',
      customer_details: null,
      customer_email: null,
      discounts: [],
      expires_at: Number(params.expires_at ?? created + 24 * 3600),
      integration_identifier: null,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale: null,
      managed_payments: null,
      metadata: { payment_id: params['metadata[payment_id]'] ?? '' },
      mode: 'payment',
      origin_context: null,
      payment_intent: null,
      payment_link: null,
      payment_method_collection: 'if_required',
      payment_method_configuration_details: null,
      payment_method_options: null,
      payment_method_types: methodsOf(params),
      payment_status: 'unpaid',
      permissions: null,
      recovered_from: null,
      saved_payment_method_options: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: 'open',
      submit_type: null,
      subscription: null,
      success_url: params.success_url ?? null,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted_page',
      url,
      wallet_options: null,
    };
  }

  function methodsOf(form: Form): string[] {
    return Object.keys(form)
      .filter((k) => k.startsWith('allowed_payment_method_types['))
      .map((k) => form[k]!);
  }

  function refund(params: Form, status: string): Stripe.Refund {
    return {
      id: id('re'),
      object: 'refund',
      amount: Number(params.amount),
      balance_transaction: null,
      charge: null,
      created: now(),
      currency: intents.get(params.payment_intent ?? '')?.currency ?? 'usd',
      customer: null,
      customer_account: null,
      metadata: {
        refund_id: params['metadata[refund_id]'] ?? '',
        payment_id: params['metadata[payment_id]'] ?? '',
      },
      payment_intent: params.payment_intent ?? null,
      payment_method: null,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status,
      transfer_reversal: null,
      ...(status === 'failed' ? { failure_reason: 'expired_or_canceled_card' } : {}),
    };
  }

  function paymentIntent(intentId: string): Stripe.PaymentIntent | null {
    const found = intents.get(intentId);
    if (!found) return null;
    return {
      id: intentId,
      object: 'payment_intent',
      allowed_payment_method_types: null,
      amount: found.amount,
      amount_capturable: 0,
      amount_received: found.status === 'succeeded' ? found.amount : 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: null,
      confirmation_method: 'automatic',
      created: found.created,
      currency: found.currency,
      customer: null,
      customer_account: null,
      description: null,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata: {},
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: null,
      payment_method_types: ['card'],
      payment_record: null,
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: found.status,
      transfer_group: null,
    };
  }

  function event<E extends Stripe.Event>(type: E['type'], object: E['data']['object']): E {
    return {
      id: id('evt'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: now(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    } as E;
  }

  /** Signs and posts one event as Stripe does; `timestamp` back-dates the signature (stale). */
  async function post(delivery: Delivery, timestamp = now()): Promise<number> {
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: delivery.payload,
      secret: options.webhookSecret,
      timestamp,
    });
    const res = await fetch(state.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
      body: delivery.payload,
    });
    await res.text();
    return res.status;
  }

  async function emit(e: Stripe.Event): Promise<void> {
    const delivery = { event: e, payload: JSON.stringify(e, null, 2) };
    if (state.webhooks === 'hold') {
      held.push(delivery);
      return;
    }
    if ((await post(delivery).catch(() => 0)) === 200) return;
    void redeliver(delivery);
  }

  /** Stripe delivers an unanswered event again, hours apart; here a fraction of a second apart. */
  async function redeliver(delivery: Delivery): Promise<void> {
    for (const wait of REDELIVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
      if ((await post(delivery).catch(() => 0)) === 200) return;
    }
    failed.push(delivery);
  }

  function stripeError(res: ServerResponse, status: number, type: string, message: string, code?: string) {
    json(res, status, { error: { type, message, ...(code ? { code } : {}) } });
  }

  function json(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
    res.end(JSON.stringify(body));
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, raw: string) {
    const form = Object.fromEntries(new URLSearchParams(raw));
    requests.push({ method: req.method ?? '', path, form, headers: req.headers });
    if (req.headers.authorization !== `Bearer ${options.secretKey}`)
      return stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided');
    if (req.headers['stripe-version'] !== STRIPE_API_VERSION)
      return stripeError(
        res,
        400,
        'invalid_request_error',
        `unexpected Stripe-Version ${req.headers['stripe-version']}`,
      );
    if (req.method === 'POST') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return stripeError(res, 400, 'invalid_request_error', 'not form-encoded');
      const key = String(req.headers['idempotency-key'] ?? '');
      const seen = idempotent.get(key);
      if (seen) {
        if (seen.body !== raw)
          return stripeError(
            res,
            400,
            'idempotency_error',
            'Keys for idempotent requests can only be used with the same parameters',
          );
        return json(res, seen.status, seen.answer);
      }
      const [status, answer] = await create(path, form);
      if (key && status < 500) idempotent.set(key, { body: raw, status, answer });
      return json(res, status, answer);
    }
    const session = /^\/v1\/checkout\/sessions\/([\w]+)$/.exec(path);
    if (session) {
      const found = sessions.get(session[1]!);
      return found
        ? json(res, 200, found)
        : stripeError(res, 404, 'invalid_request_error', 'No such checkout.session', 'resource_missing');
    }
    const pi = /^\/v1\/payment_intents\/([\w]+)$/.exec(path);
    if (pi) {
      const found = paymentIntent(pi[1]!);
      return found
        ? json(res, 200, found)
        : stripeError(res, 404, 'invalid_request_error', 'No such payment_intent', 'resource_missing');
    }
    const re = /^\/v1\/refunds\/([\w]+)$/.exec(path);
    if (re) {
      const found = refunds.get(re[1]!);
      return found
        ? json(res, 200, found)
        : stripeError(res, 404, 'invalid_request_error', 'No such refund', 'resource_missing');
    }
    return stripeError(
      res,
      404,
      'invalid_request_error',
      `Unrecognized request URL (${req.method}: ${path})`,
    );
  }

  async function create(path: string, form: Form): Promise<[number, unknown]> {
    if (path === '/v1/checkout/sessions') {
      const missing = [
        'mode',
        'client_reference_id',
        'success_url',
        'line_items[0][price_data][unit_amount]',
        'line_items[0][price_data][currency]',
        'line_items[0][quantity]',
        'allowed_payment_method_types[0]',
      ].find((k) => !form[k]);
      if (missing)
        return [
          400,
          {
            error: {
              type: 'invalid_request_error',
              message: `Missing required param: ${missing}`,
              param: missing,
            },
          },
        ];
      if (form.mode !== 'payment' || !/^\d+$/.test(form['line_items[0][price_data][unit_amount]']!))
        return [400, { error: { type: 'invalid_request_error', message: 'Invalid mode or unit_amount' } }];
      // Stripe's rule: a session expires between 30 minutes and 24 hours after it is created.
      const expiresIn = form.expires_at === undefined ? 24 * 3600 : Number(form.expires_at) - now();
      if (!(expiresIn >= 30 * 60 && expiresIn <= 24 * 3600))
        return [
          400,
          {
            error: {
              type: 'invalid_request_error',
              message:
                'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
              param: 'expires_at',
            },
          },
        ];
      const sessionId = id('cs_test');
      const created = session(form, sessionId, `${base}/pay/${sessionId}`);
      sessions.set(sessionId, created);
      return [200, created];
    }
    if (path === '/v1/refunds') {
      const intent = intents.get(form.payment_intent ?? '');
      const amount = Number(form.amount);
      if (!intent)
        return [
          400,
          {
            error: {
              type: 'invalid_request_error',
              message: 'No such payment_intent',
              code: 'resource_missing',
            },
          },
        ];
      if (
        !Number.isInteger(amount) ||
        amount < 1 ||
        intent.refunded + amount > intent.amount ||
        state.refundOutcome === 'refused'
      )
        return [
          400,
          {
            error: {
              type: 'invalid_request_error',
              message: 'Refund amount is greater than unrefunded amount',
              code: 'charge_already_refunded',
            },
          },
        ];
      intent.refunded += amount;
      const created = refund(form, state.refundOutcome === 'failed' ? 'pending' : state.refundOutcome);
      refunds.set(created.id, created);
      // Stripe answers a card refund pending or succeeded; a failure comes later, by webhook.
      if (state.refundOutcome === 'failed') setImmediate(() => void settleRefund(created.id, 'failed'));
      return [200, created];
    }
    return [
      404,
      { error: { type: 'invalid_request_error', message: `Unrecognized request URL (POST: ${path})` } },
    ];
  }

  /** The subscriber pays on the hosted page: a card at once, an async method (Alipay, WeChat Pay) later. */
  async function pay(
    sessionId: string,
    method: 'card' | 'alipay' | 'wechat_pay' = 'card',
  ): Promise<Stripe.Checkout.Session> {
    const found = sessions.get(sessionId);
    if (!found || found.status !== 'open') throw new Error(`session ${sessionId} is not open`);
    const intent = id('pi');
    intents.set(intent, {
      amount: found.amount_total ?? 0,
      refunded: 0,
      currency: found.currency ?? 'usd',
      status: method === 'card' ? 'succeeded' : 'processing',
      created: now(),
    });
    Object.assign(found, {
      status: 'complete',
      payment_intent: intent,
      payment_status: method === 'card' ? 'paid' : 'unpaid',
    } satisfies Partial<Stripe.Checkout.Session>);
    await emit(event<Stripe.CheckoutSessionCompletedEvent>('checkout.session.completed', { ...found }));
    return found;
  }

  async function settleAsync(sessionId: string, outcome: 'succeeded' | 'failed'): Promise<void> {
    const found = sessions.get(sessionId)!;
    // A failed asynchronous payment leaves its intent wanting another method; the session stays complete, unpaid.
    intents.get(String(found.payment_intent))!.status =
      outcome === 'succeeded' ? 'succeeded' : 'requires_payment_method';
    if (outcome === 'succeeded') {
      found.payment_status = 'paid';
      await emit(
        event<Stripe.CheckoutSessionAsyncPaymentSucceededEvent>('checkout.session.async_payment_succeeded', {
          ...found,
        }),
      );
    } else {
      await emit(
        event<Stripe.CheckoutSessionAsyncPaymentFailedEvent>('checkout.session.async_payment_failed', {
          ...found,
        }),
      );
    }
  }

  async function expire(sessionId: string): Promise<void> {
    const found = sessions.get(sessionId)!;
    found.status = 'expired';
    await emit(event<Stripe.CheckoutSessionExpiredEvent>('checkout.session.expired', { ...found }));
  }

  async function settleRefund(refundId: string, status: 'succeeded' | 'failed'): Promise<void> {
    const found = refunds.get(refundId)!;
    found.status = status;
    if (status === 'failed') {
      found.failure_reason = 'expired_or_canceled_card';
      intents.get(String(found.payment_intent))!.refunded -= found.amount;
    }
    await emit(event<Stripe.RefundUpdatedEvent>('refund.updated', { ...found }));
  }

  function page(res: ServerResponse, found: Stripe.Checkout.Session) {
    const amount = `${((found.amount_total ?? 0) / 100).toFixed(2)} ${(found.currency ?? '').toUpperCase()}`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stripe Checkout (test peer)</title></head>
<body><main><h1>Pay ${amount}</h1><p data-testid="peer-status">${found.status}</p>
<form method="post"><select name="method" aria-label="Payment method">${found.payment_method_types.map((m) => `<option>${m}</option>`).join('')}</select>
<button type="submit">Pay</button></form></main></body></html>`);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', base);
      const hosted = /^\/pay\/(cs_\w+)$/.exec(url.pathname);
      void (async () => {
        if (hosted) {
          const found = sessions.get(hosted[1]!);
          if (!found) return stripeError(res, 404, 'invalid_request_error', 'No such page');
          if (req.method === 'GET') return page(res, found);
          const method = new URLSearchParams(raw).get('method') as 'card' | 'alipay' | 'wechat_pay';
          await pay(found.id, method ?? 'card');
          const back = new URL(found.success_url ?? '/', base);
          res.writeHead(303, {
            location: state.appUrl ? `${state.appUrl}${back.pathname}${back.search}` : back.toString(),
          });
          return res.end();
        }
        if (state.down) {
          res.socket?.destroy();
          return;
        }
        return api(req, res, url.pathname, req.method === 'GET' ? url.search.slice(1) : raw);
      })().catch((error) => stripeError(res, 500, 'api_error', String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    state,
    sessions,
    refunds,
    requests,
    held,
    failed,
    pay,
    settleAsync,
    expire,
    settleRefund,
    /** Sends a held or failed delivery (again): as signed now, or back-dated by `ageSeconds`. */
    post: (delivery: Delivery, ageSeconds = 0) => post(delivery, now() - ageSeconds),
    /** The same body signed with another secret (a forgery). */
    forge: async (delivery: Delivery) => {
      const res = await fetch(state.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({
            payload: delivery.payload,
            secret: 'whsec_forged_by_someone_else',
          }),
        },
        body: delivery.payload,
      });
      return { status: res.status, body: await res.json() };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type StripePeer = Awaited<ReturnType<typeof startStripePeer>>;
