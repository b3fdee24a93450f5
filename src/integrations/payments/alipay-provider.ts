import { AlipayRequestError, AlipaySdk, type AlipaySdkCommonResult } from 'alipay-sdk';
import type { AlipayConfig } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import {
  type PaymentEvent,
  type PaymentLookup,
  type PaymentProvider,
  type RefundPart,
  refundOutcome,
  type Settle,
  settleRefundCall,
} from './provider.js';
import type { OurObject } from './stripe-provider.js';

/** How long the hosted page can be paid on (time_expire); after it and a margin an unknown trade has failed. */
export const ALIPAY_PAY_WINDOW_MS = 30 * 60 * 1000;
const UNKNOWN_FAILS_AFTER_MS = ALIPAY_PAY_WINDOW_MS + 10 * 60 * 1000;
/** Alipay retries a notification for about 25 hours; one older than this is refused as stale. */
export const ALIPAY_NOTIFY_MAX_AGE_MS = 26 * 60 * 60 * 1000;
const FUTURE_SKEW_MS = 5 * 60 * 1000;
const BEIJING_MS = 8 * 60 * 60 * 1000;

/** Alipay's time format, in Beijing time: 2025-01-31 23:59:59. */
export function beijingTime(at: Date): string {
  return new Date(at.getTime() + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}

function fromBeijingTime(value: string): number {
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(value)
    ? Date.parse(`${value.replace(' ', 'T')}Z`) - BEIJING_MS
    : Number.NaN;
}

/** Fen to "12.34" yuan, and back (strictly: at most two decimals). */
export function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
function fen(value: unknown): number {
  const match = typeof value === 'string' ? /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(value) : null;
  return match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : -1;
}

/**
 * The Alipay adapter (openapi gateway, RSA2): alipay.trade.page.pay on desktops and
 * alipay.trade.wap.pay on phones (a signed URL to the gateway's page), notifications checked by the
 * SDK (checkNotifySignV2) and answered "success", refunds by alipay.trade.refund with out_request_no
 * as the idempotency key (answered at once, so settled at once), lookups by alipay.trade.query and
 * alipay.trade.fastpay.refund.query. Every gateway answer's signature is checked too.
 */
export function createAlipayProvider(deps: {
  config: AlipayConfig;
  privateKey: string;
  alipayPublicKey: string;
  clock: Clock;
  notifyUrl: string;
  objectOf: (kind: 'payment' | 'refund', id: string) => Promise<OurObject | null>;
  settle: Settle;
  timeoutMs?: number;
}): PaymentProvider {
  const { config, clock } = deps;
  const sdk = new AlipaySdk({
    appId: config.appId,
    privateKey: deps.privateKey,
    keyType: deps.privateKey.includes('BEGIN PRIVATE KEY') ? 'PKCS8' : 'PKCS1',
    alipayPublicKey: deps.alipayPublicKey,
    gateway: config.gateway,
    timeout: deps.timeoutMs ?? 15_000,
    signType: 'RSA2',
  });

  /**
   * The request's `timestamp`, in Beijing time as Alipay reads it. The SDK would stamp the server's
   * local time (eight hours off on a server in UTC); a timestamp of our own takes its place.
   */
  const stamp = () => beijingTime(clock.now());

  /** One gateway call; a transport or system error throws (the caller retries), a business refusal answers. */
  async function call(method: string, bizContent: Record<string, string>): Promise<AlipaySdkCommonResult> {
    const result = await sdk.exec(method, { bizContent, timestamp: stamp() }, { validateSign: true });
    if (result.code === '10000' || (result.code === '40004' && result.subCode !== 'ACQ.SYSTEM_ERROR'))
      return result;
    throw new AlipayRequestError(`${method}: ${result.code} ${result.subCode ?? result.msg}`, {
      code: result.code,
    });
  }

  function outRequestNo(refundId: string, paymentId: string): string {
    return `${refundId}-${paymentId.replace(/^pay_/, '')}`;
  }

  async function refundParts(providerRef: string): Promise<RefundPart[]> {
    const parts: RefundPart[] = [];
    for (const entry of providerRef.split(',')) {
      const [paymentId = '', ref = ''] = entry.split('=');
      const refused = /^!(\d+):(.*)$/.exec(ref);
      if (refused) {
        parts.push({
          paymentRef: paymentId,
          status: 'failed',
          amount: Number(refused[1]),
          reason: refused[2],
        });
        continue;
      }
      const found = await call('alipay.trade.fastpay.refund.query', {
        out_trade_no: paymentId,
        out_request_no: ref,
      });
      parts.push({
        paymentRef: paymentId,
        status: found.code === '10000' && found.refundStatus === 'REFUND_SUCCESS' ? 'succeeded' : 'pending',
        amount: fen(found.refundAmount),
      });
    }
    return parts;
  }

  const provider: PaymentProvider = {
    name: 'alipay',
    testMode: config.testMode,

    async createPayment({ paymentId, amount, returnUrl, client, createdAt }) {
      const phone = client === 'phone';
      const url = sdk.pageExec(phone ? 'alipay.trade.wap.pay' : 'alipay.trade.page.pay', 'GET', {
        notifyUrl: deps.notifyUrl,
        returnUrl,
        timestamp: stamp(),
        bizContent: {
          out_trade_no: paymentId,
          total_amount: yuan(amount),
          subject: 'Balance top-up',
          product_code: phone ? 'QUICK_WAP_WAY' : 'FAST_INSTANT_TRADE_PAY',
          time_expire: beijingTime(new Date(Date.parse(createdAt) + ALIPAY_PAY_WINDOW_MS)),
          ...(phone ? { quit_url: returnUrl } : {}),
        },
      });
      return { providerRef: paymentId, redirectUrl: url };
    },

    async refund({ refundId, amount, currency, payments }) {
      const entries: string[] = [];
      const parts: RefundPart[] = [];
      for (const payment of payments) {
        const requestNo = outRequestNo(refundId, payment.paymentId);
        const result = await call('alipay.trade.refund', {
          out_trade_no: payment.paymentId,
          refund_amount: yuan(payment.amount),
          out_request_no: requestNo,
          refund_reason: 'Balance refund',
        });
        if (result.code !== '10000') {
          // Refused for good (trade closed, too old, …): this part's money comes back to the wallet.
          const reason = String(result.subCode ?? result.msg).replace(/[=,:!]/g, ' ');
          entries.push(`${payment.paymentId}=!${payment.amount}:${reason}`);
          parts.push({ paymentRef: payment.paymentId, status: 'failed', amount: payment.amount, reason });
          continue;
        }
        entries.push(`${payment.paymentId}=${requestNo}`);
        // fund_change N: nothing moved in this call (a repeat); the refund query says whether it went through.
        parts.push(
          result.fundChange === 'Y'
            ? { paymentRef: payment.paymentId, status: 'succeeded', amount: payment.amount }
            : ((await refundParts(`${payment.paymentId}=${requestNo}`))[0] as RefundPart),
        );
      }
      const providerRef = entries.join(',');
      return settleRefundCall(deps.settle, 'alipay', { refundId, amount, currency, providerRef }, parts);
    },

    async lookup(kind, object): Promise<PaymentLookup> {
      const ours = await deps.objectOf(kind, object.id);
      if (!ours) return { status: 'unknown' };
      const eventId = `alipay-lookup:${object.id}`;
      if (kind === 'refund') {
        if (!ours.providerRef) return { status: 'unknown' };
        const event = refundOutcome(
          eventId,
          {
            refundId: object.id,
            amount: ours.amount,
            currency: ours.currency,
            providerRef: ours.providerRef,
          },
          await refundParts(ours.providerRef),
        );
        return event ? { status: 'settled', event } : { status: 'pending' };
      }
      const trade = await call('alipay.trade.query', { out_trade_no: object.id });
      const data = { objectId: object.id, amount: ours.amount, currency: ours.currency };
      if (trade.code !== '10000') {
        if (trade.subCode !== 'ACQ.TRADE_NOT_EXIST') return { status: 'unknown' };
        // Never opened: once its page has expired it cannot be paid any more.
        if (clock.now().getTime() - Date.parse(object.createdAt) < UNKNOWN_FAILS_AFTER_MS)
          return { status: 'unknown' };
        return {
          status: 'settled',
          event: {
            id: `${eventId}:expired`,
            type: 'payment.failed',
            data: { ...data, providerRef: object.id, reason: 'the payment page expired unpaid' },
          },
        };
      }
      const status = String(trade.tradeStatus);
      const providerRef = String(trade.tradeNo ?? object.id);
      if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
        return {
          status: 'settled',
          event: {
            id: eventId,
            type: 'payment.succeeded',
            data: { ...data, providerRef, amount: fen(trade.totalAmount) },
          },
        };
      if (status === 'TRADE_CLOSED')
        return {
          status: 'settled',
          event: {
            id: eventId,
            type: 'payment.failed',
            data: { ...data, providerRef, reason: 'closed unpaid' },
          },
        };
      return { status: 'pending' };
    },

    async webhook(request) {
      const params = Object.fromEntries(new URLSearchParams(request.rawBody));
      if (!params.sign || params.app_id !== config.appId || !sdk.checkNotifySignV2(params))
        throw new AppError('INVALID_SIGNATURE', { field: 'sign', in: 'body' });
      const sentAt = fromBeijingTime(params.notify_time ?? '');
      const age = clock.now().getTime() - sentAt;
      if (!Number.isFinite(sentAt) || age > ALIPAY_NOTIFY_MAX_AGE_MS || age < -FUTURE_SKEW_MS)
        throw new AppError('WEBHOOK_EXPIRED', { field: 'notify_time', in: 'body' });
      return { events: mapNotification(params), reply: 'success' };
    },
  };

  function mapNotification(params: Record<string, string>): PaymentEvent[] {
    const { notify_id: id, out_trade_no: objectId, trade_status: status } = params;
    if (!id || !objectId)
      throw new AppError(
        'VALIDATION_FAILED',
        { field: 'body', in: 'body' },
        { reason: 'not a trade notification' },
      );
    // A refund's notification: refunds are settled from alipay.trade.refund's own answer.
    if (params.out_biz_no || params.refund_fee) return [];
    const data = {
      objectId,
      providerRef: params.trade_no ?? objectId,
      amount: fen(params.total_amount),
      currency: 'CNY',
    };
    if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
      return [{ id, type: 'payment.succeeded', data }];
    if (status === 'TRADE_CLOSED')
      return [{ id, type: 'payment.failed', data: { ...data, reason: 'closed unpaid' } }];
    return [];
  }

  return provider;
}
