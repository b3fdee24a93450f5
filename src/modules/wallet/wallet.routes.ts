import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { AppError } from '../../core/errors.js';
import type { MoneyValue } from '../../core/money.js';
import { ListOf, PageQuery, pageOf } from '../../core/pagination.js';
import { callerOf } from '../../http/caller.js';
import { SUBSCRIBER } from '../../http/roles.js';
import { errorResponses, IdempotencyHeader } from '../../http/schemas.js';
import { SIGNATURE_HEADER } from '../../integrations/payments/signature.js';
import { principalOf } from '../identity/identity.guard.js';
import { createStatementWords } from './statement-words.js';
import {
  AmountInput,
  Forfeit,
  MoneyRef,
  Payment,
  Refund,
  StatementLine,
  Transfer,
} from './wallet.schemas.js';
import { STATEMENT_KINDS } from './wallet.service.js';

export function walletRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  const { wallet, idempotency, config } = ctx;
  const words = createStatementWords({ db: ctx.database.db });
  const toMoney = (input: MoneyValue | number): MoneyValue =>
    typeof input === 'number' ? { amount: input, currency: config.currency } : input;

  return async (app) => {
    app.get(
      '/api/v1/me/balance',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'Wallet balance',
          response: { 200: MoneyRef, ...errorResponses(401, 403) },
        },
      },
      async (request) => wallet.balance(principalOf(request).accountId),
    );

    app.get(
      '/api/v1/me/ledger',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'Statement: every change to the balance, newest first, with the balance after it',
          querystring: Type.Object({
            kind: Type.Optional(Type.Enum(STATEMENT_KINDS)),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            ...PageQuery,
          }),
          response: { 200: ListOf(StatementLine), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { kind, from, to } = request.query;
        const { accountId } = principalOf(request);
        const statement = await wallet.statement(accountId, {
          kind,
          from: from && new Date(from).toISOString(),
          to: to && new Date(to).toISOString(),
          ...pageOf(request.query),
        });
        const facts = await words.describe(accountId, statement.items, request.locale);
        return {
          ...statement,
          items: statement.items.map((line) => ({ ...line, ...facts.get(line.id) })),
        };
      },
    );

    app.post(
      '/api/v1/me/topups',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'Top up the balance through the payment provider (idempotent)',
          headers: IdempotencyHeader,
          body: Type.Object({ amount: AmountInput }),
          response: { 201: Payment, ...errorResponses(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const key = `${principal.accountId}:${String(request.headers['idempotency-key'])}`;
        return idempotency.respond(request, reply, 201, (complete) =>
          wallet.topup(
            principal.accountId,
            toMoney(request.body.amount),
            key,
            callerOf(request, complete),
            /Mobi|Android|iPhone|iPad/i.test(String(request.headers['user-agent'] ?? ''))
              ? 'phone'
              : 'desktop',
          ),
        );
      },
    );

    app.get(
      '/api/v1/me/topups/:id',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'One top-up and its status',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: Payment, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => {
        const payment = await wallet.payment(principalOf(request).accountId, request.params.id);
        if (!payment) throw new AppError('NOT_FOUND');
        return payment;
      },
    );

    app.post(
      '/api/v1/me/transfers',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'Transfer balance to another active subscriber by email or E.164 phone (idempotent)',
          headers: IdempotencyHeader,
          body: Type.Object({ to: Type.String({ minLength: 1, maxLength: 320 }), amount: AmountInput }),
          response: { 201: Transfer, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          wallet.transfer(
            principal.accountId,
            { to: request.body.to, amount: toMoney(request.body.amount) },
            callerOf(request, complete),
          ),
        );
      },
    );

    app.get(
      '/api/v1/me/transfers/recipient',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'Whether a transfer to this address can go through, for the confirmation step',
          description:
            'Answers only "can receive" or "cannot receive" (unknown, staff and inactive addresses alike), with the address masked as given; limited per subscriber per hour (policy recipientChecksPerHour), 429 beyond.',
          querystring: Type.Object({ to: Type.String({ minLength: 1, maxLength: 320 }) }),
          response: {
            200: Type.Object({
              canReceive: Type.Boolean(),
              display: Type.String({ description: 'The address as given, masked; the same whoever owns it' }),
            }),
            ...errorResponses(400, 401, 403, 409, 429),
          },
        },
      },
      async (request) => wallet.recipient(principalOf(request).accountId, request.query.to),
    );

    app.get(
      '/api/v1/me/refunds/refundable',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'How much can be refunded to the original payment method, and why',
          response: {
            200: Type.Object({ refundable: MoneyRef, balance: MoneyRef, toppedUpNotRefunded: MoneyRef }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => {
        const r = await wallet.refundable(ctx.database.db, principalOf(request).accountId);
        return {
          refundable: wallet.money(r.amount),
          balance: wallet.money(r.wallet),
          toppedUpNotRefunded: wallet.money(r.unrefunded),
        };
      },
    );

    app.post(
      '/api/v1/me/refunds',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary:
            'Refund balance to the original payment method (idempotent); pending until the provider confirms',
          headers: IdempotencyHeader,
          body: Type.Object({ amount: AmountInput }),
          response: { 201: Refund, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          wallet.requestRefund(
            principal.accountId,
            toMoney(request.body.amount),
            callerOf(request, complete),
          ),
        );
      },
    );

    app.get(
      '/api/v1/me/forfeits/forfeitable',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'How much of the balance can be given up: what cannot be refunded, after arrears',
          response: {
            200: Type.Object({
              forfeitable: MoneyRef,
              refundable: MoneyRef,
              balance: MoneyRef,
              arrears: MoneyRef,
              arrearsPaid: MoneyRef,
            }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => {
        const f = await wallet.forfeitable(ctx.database.db, principalOf(request).accountId);
        return {
          forfeitable: wallet.money(f.amount),
          refundable: wallet.money(f.refundable),
          balance: wallet.money(f.balance),
          arrears: wallet.money(f.arrears),
          arrearsPaid: wallet.money(f.arrearsPaid),
        };
      },
    );

    app.post(
      '/api/v1/me/forfeits',
      {
        config: { access: SUBSCRIBER },
        schema: {
          tags: ['balance'],
          summary: 'Give up balance that can be neither refunded nor transferred, knowingly (idempotent)',
          description:
            "The amount moves to the operator's forfeited balances account and is lost to the subscriber. Only what cannot be refunded may be given up (409 FORFEIT_EXCEEDS_FORFEITABLE, with what can); arrears are paid from the balance first. 400 without confirm: true; 409 INSUFFICIENT_BALANCE above the balance.",
          headers: IdempotencyHeader,
          body: Type.Object({
            amount: AmountInput,
            confirm: Type.Literal(true, { description: 'The subscriber confirmed this amount will be lost' }),
          }),
          response: { 201: Forfeit, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        return idempotency.respond(request, reply, 201, (complete) =>
          wallet.forfeit(principal.accountId, toMoney(request.body.amount), callerOf(request, complete)),
        );
      },
    );

    // Payment provider webhooks: the raw body is needed to check the signature, so this scope keeps it
    // as text (JSON from the test provider and Stripe, a form from Alipay).
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
      scope.removeContentTypeParser('application/json');
      for (const type of ['application/json', 'application/x-www-form-urlencoded'])
        scope.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
          done(null, body),
        );
      scope.post(
        '/api/v1/payments/webhooks/:provider',
        {
          config: { access: 'public', rateLimit: false },
          schema: {
            tags: ['payments'],
            summary:
              'Payment provider webhook (signed; stale, forged and replayed ones refused; applied once)',
            description:
              'test: HMAC-SHA256 in X-Payment-Signature, 5-minute window. stripe: Stripe-Signature checked by the SDK, 5-minute window. alipay: the notify_url, RSA2-signed form checked by the SDK, answered "success" as text/plain; notifications older than 26 hours are refused. See docs/payments.md.',
            params: Type.Object({ provider: Type.String({ maxLength: 32 }) }),
            response: {
              200: Type.Object({ outcome: Type.Enum(['applied', 'duplicate', 'ignored']) }),
              ...errorResponses(400, 401, 404),
            },
          },
        },
        async (request, reply) => {
          const provider = ctx.payments.provider;
          if (request.params.provider !== provider.name) throw new AppError('NOT_FOUND');
          if (provider.webhook) {
            const { outcome, reply: text } = await ctx.paymentWebhooks.handleProvider(provider, {
              rawBody: String(request.body ?? ''),
              headers: request.headers,
            });
            // Alipay expects the bare word back, not JSON.
            if (text !== undefined) return reply.type('text/plain; charset=utf-8').send(text as never);
            return { outcome };
          }
          const signature = request.headers[SIGNATURE_HEADER];
          const outcome = await ctx.paymentWebhooks.handle(
            request.params.provider,
            String(request.body ?? ''),
            typeof signature === 'string' ? signature : undefined,
          );
          return { outcome };
        },
      );
    });
  };
}
