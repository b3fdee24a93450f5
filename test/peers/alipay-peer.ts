import { createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlipaySdkCommonResult } from 'alipay-sdk';

/**
 * A local Alipay for tests: it speaks the OpenAPI gateway protocol (gateway.do, RSA2) for the calls
 * the adapter makes through the official alipay-sdk pointed at it — the hosted pay page
 * (alipay.trade.page.pay / alipay.trade.wap.pay), alipay.trade.query, alipay.trade.refund with
 * out_request_no and alipay.trade.fastpay.refund.query. It checks every request's RSA2 signature
 * with the app's public key, keeps trades and refunds, answers signed with the gateway's key (so the
 * SDK's validateSign checks it), serves a minimal hosted page whose Pay button completes the payment
 * and sends the buyer back to return_url, and posts notify_url notifications signed RSA2 with the
 * gateway key — held, duplicated, reordered, back-dated, forged or failed on demand.
 */
export interface AlipayPeerOptions {
  appId: string;
  /** The app's public key (PEM): every request must be signed with its private key. */
  appPublicKey: string;
  /** The gateway's private key (PEM): answers, notifications and return parameters are signed with it. */
  gatewayPrivateKey: string;
  /** The time the peer stamps and signs notifications with (the app's clock in tests that move time). */
  clock?: { now(): Date };
}

/** The common answer fields, as the SDK declares them (without its catch-all index, so a typo fails to compile). */
type Common = Pick<AlipaySdkCommonResult, 'code' | 'msg' | 'sub_code' | 'sub_msg'>;
export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED';
/** alipay.trade.query's answer (snake_case, as on the wire; the SDK camel-cases it). */
export interface TradeQueryResponse extends Common {
  trade_no?: string;
  out_trade_no?: string;
  buyer_logon_id?: string;
  trade_status?: TradeStatus;
  total_amount?: string;
  buyer_pay_amount?: string;
  send_pay_date?: string;
}
/** alipay.trade.refund's answer. fund_change N: this call moved no money (a repeat, or still in progress). */
export interface TradeRefundResponse extends Common {
  trade_no?: string;
  out_trade_no?: string;
  buyer_logon_id?: string;
  fund_change?: 'Y' | 'N';
  refund_fee?: string;
  gmt_refund_pay?: string;
}
/** alipay.trade.fastpay.refund.query's answer: no refund_status means not received, or not (yet) done. */
export interface RefundQueryResponse extends Common {
  trade_no?: string;
  out_trade_no?: string;
  out_request_no?: string;
  total_amount?: string;
  refund_amount?: string;
  refund_status?: 'REFUND_SUCCESS';
  gmt_refund_pay?: string;
}
type GatewayAnswer = TradeQueryResponse | TradeRefundResponse | RefundQueryResponse;

export interface Trade {
  outTradeNo: string;
  tradeNo: string;
  method: 'alipay.trade.page.pay' | 'alipay.trade.wap.pay';
  totalAmount: string;
  subject: string;
  status: TradeStatus;
  notifyUrl: string;
  returnUrl: string;
  timeExpire: string | null;
  gmtCreate: string;
  gmtPayment: string | null;
  gmtClose: string | null;
  /** Fen refunded so far. */
  refunded: number;
}
export interface PeerRefund {
  outTradeNo: string;
  outRequestNo: string;
  amount: string;
  status: 'REFUND_SUCCESS' | 'PROCESSING';
  gmtRefundPay: string | null;
}
/** One notification: its fields without sign and notify_time, which are set each time it is posted. */
export interface Notification {
  notifyUrl: string;
  params: Record<string, string>;
}
export type RefundBehaviour = 'succeeded' | 'pending' | 'refused' | 'system_error';

const BEIJING_MS = 8 * 60 * 60 * 1000;
/** Alipay's time format, in Beijing time. */
export const beijing = (at: Date) =>
  new Date(at.getTime() + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
const fromBeijing = (value: string) => Date.parse(`${value.replace(' ', 'T')}Z`) - BEIJING_MS;
/** How far a request's timestamp may be from the gateway's clock (the peer's rule). */
const TIMESTAMP_SKEW_MS = 15 * 60 * 1000;
const fen = (yuan: string) => Math.round(Number(yuan) * 100);
const yuan = (value: number) => (value / 100).toFixed(2);
const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** RSA2 key pairs for the app and for the gateway, as PEM (PKCS#1 private, SPKI public), made in the test. */
export function alipayKeys() {
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  };
  return { app: pair(), gateway: pair() };
}

/** The string Alipay signs: every non-empty field but the excluded ones, sorted, as key=value joined by &. */
export function signContent(params: Record<string, string>, exclude: string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}
const rsa2 = (content: string, privateKey: string) =>
  createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');

export async function startAlipayPeer(options: AlipayPeerOptions) {
  const now = () => options.clock?.now() ?? new Date();
  const trades = new Map<string, Trade>();
  const refunds = new Map<string, PeerRefund>();
  /** Every gateway request: the method, its parameters (biz_content parsed) and whether its signature held. */
  const requests: Array<{
    method: string;
    params: Record<string, string>;
    biz: Record<string, string>;
    signed: boolean;
    contentType: string | undefined;
  }> = [];
  const held: Notification[] = [];
  const failed: Notification[] = [];
  const state = {
    /** The app's real address: notify_url and return_url keep their path but go there (PUBLIC_URL is fixed in tests). */
    appUrl: '',
    /** deliver: at once; hold: kept in `held` until the test posts them. */
    notifications: 'deliver' as 'deliver' | 'hold',
    /** The gateway drops every API call's connection (the hosted page still shows). */
    down: false,
    refunds: 'succeeded' as RefundBehaviour,
    /** Trades (out_trade_no) whose refunds are refused whatever `refunds` says. */
    refusing: new Set<string>(),
  };

  function target(url: string): string {
    if (!state.appUrl) return url;
    const parsed = new URL(url);
    return `${state.appUrl}${parsed.pathname}${parsed.search}`;
  }

  function verify(params: Record<string, string>): boolean {
    if (params.sign_type !== 'RSA2' || !params.sign) return false;
    return createVerify('RSA-SHA256')
      .update(signContent(params, ['sign']), 'utf8')
      .verify(options.appPublicKey, params.sign, 'base64');
  }

  /**
   * Checks a request as the gateway does: the signature, the app, the common fields. Null when it
   * holds. An API call's timestamp must also be near the gateway's clock; a page's was stamped when
   * its URL was made and is opened later (its trade's time_expire bounds it).
   */
  function refusal(params: Record<string, string>, kind: 'api' | 'page'): Common | null {
    if (params.app_id !== options.appId)
      return {
        code: '40002',
        msg: 'Invalid Arguments',
        sub_code: 'isv.invalid-app-id',
        sub_msg: '无效的AppID参数',
      };
    if (!verify(params))
      return {
        code: '40002',
        msg: 'Invalid Arguments',
        sub_code: 'isv.invalid-signature',
        sub_msg: `验签出错，网关生成的验签字符串为：${signContent(params, ['sign'])}`,
      };
    const sent = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(params.timestamp ?? '')
      ? fromBeijing(params.timestamp!)
      : Number.NaN;
    const skew = kind === 'api' ? Math.abs(sent - now().getTime()) : 0;
    if (Number.isNaN(sent) || !(skew <= TIMESTAMP_SKEW_MS) || params.version !== '1.0')
      return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-timestamp' };
    if (params.charset !== 'utf-8')
      return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-charset' };
    return null;
  }

  function bizOf(params: Record<string, string>): Record<string, string> | null {
    try {
      const biz = JSON.parse(params.biz_content ?? '');
      return biz && typeof biz === 'object' ? biz : null;
    } catch {
      return null;
    }
  }

  /** Answers as the gateway does: the method's response object and the gateway's RSA2 signature over it. */
  function answer(res: ServerResponse, method: string, body: GatewayAnswer) {
    const inner = JSON.stringify(body);
    const key = `${method.replaceAll('.', '_')}_response`;
    res.writeHead(200, { 'content-type': 'text/html;charset=utf-8', trace_id: digits(16) });
    res.end(`{"${key}":${inner},"sign":"${rsa2(inner, options.gatewayPrivateKey)}"}`);
  }

  const ok = { code: '10000', msg: 'Success' } as const;
  const failure = (sub_code: string, sub_msg: string): Common => ({
    code: '40004',
    msg: 'Business Failed',
    sub_code,
    sub_msg,
  });

  /** A trade past its time_expire closes unpaid, as the gateway's own timer would. */
  async function expireDue(trade: Trade) {
    if (
      trade.status === 'WAIT_BUYER_PAY' &&
      trade.timeExpire &&
      fromBeijing(trade.timeExpire) <= now().getTime()
    )
      await close(trade.outTradeNo);
  }

  async function exec(method: string, biz: Record<string, string>): Promise<GatewayAnswer> {
    const trade = trades.get(biz.out_trade_no ?? '');
    if (trade) await expireDue(trade);
    if (method === 'alipay.trade.query') {
      if (!trade) return failure('ACQ.TRADE_NOT_EXIST', '交易不存在');
      return {
        ...ok,
        trade_no: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
        buyer_logon_id: 'buy***@example.com',
        trade_status: trade.status,
        total_amount: trade.totalAmount,
        ...(trade.gmtPayment ? { buyer_pay_amount: trade.totalAmount, send_pay_date: trade.gmtPayment } : {}),
      } satisfies TradeQueryResponse;
    }
    if (method === 'alipay.trade.refund') {
      if (!biz.out_request_no || !/^\d+(\.\d{1,2})?$/.test(biz.refund_amount ?? ''))
        return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.missing-or-invalid-parameter' };
      if (!trade) return failure('ACQ.TRADE_NOT_EXIST', '交易不存在');
      const seen = refunds.get(`${trade.outTradeNo}/${biz.out_request_no}`);
      const base = {
        trade_no: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
        buyer_logon_id: 'buy***@example.com',
      };
      if (seen) {
        // The same out_request_no again: nothing moves twice.
        if (seen.amount !== biz.refund_amount)
          return failure('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额与原请求不一致');
        return {
          ...ok,
          ...base,
          fund_change: 'N',
          refund_fee: yuan(trade.refunded),
        } satisfies TradeRefundResponse;
      }
      if (state.refunds === 'system_error') return failure('ACQ.SYSTEM_ERROR', '系统错误');
      if (trade.status !== 'TRADE_SUCCESS') return failure('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
      if (state.refunds === 'refused' || state.refusing.has(trade.outTradeNo))
        return failure('ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足');
      const amount = fen(biz.refund_amount!);
      if (amount < 1 || trade.refunded + amount > fen(trade.totalAmount))
        return failure('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
      trade.refunded += amount;
      const refund: PeerRefund = {
        outTradeNo: trade.outTradeNo,
        outRequestNo: biz.out_request_no,
        amount: biz.refund_amount!,
        status: state.refunds === 'pending' ? 'PROCESSING' : 'REFUND_SUCCESS',
        gmtRefundPay: null,
      };
      refunds.set(`${trade.outTradeNo}/${refund.outRequestNo}`, refund);
      if (refund.status === 'PROCESSING')
        return {
          ...ok,
          ...base,
          fund_change: 'N',
          refund_fee: yuan(trade.refunded - amount),
        } satisfies TradeRefundResponse;
      await refunded(trade, refund);
      return {
        ...ok,
        ...base,
        fund_change: 'Y',
        refund_fee: yuan(trade.refunded),
        gmt_refund_pay: refund.gmtRefundPay!,
      } satisfies TradeRefundResponse;
    }
    if (method === 'alipay.trade.fastpay.refund.query') {
      if (!trade) return failure('ACQ.TRADE_NOT_EXIST', '交易不存在');
      const refund = refunds.get(`${trade.outTradeNo}/${biz.out_request_no ?? ''}`);
      // Found or not, the answer is 10000: a refund without refund_status is not (yet) done.
      return {
        ...ok,
        trade_no: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
        out_request_no: biz.out_request_no,
        ...(refund
          ? {
              total_amount: trade.totalAmount,
              refund_amount: refund.amount,
              ...(refund.status === 'REFUND_SUCCESS'
                ? { refund_status: 'REFUND_SUCCESS' as const, gmt_refund_pay: refund.gmtRefundPay! }
                : {}),
            }
          : {}),
      } satisfies RefundQueryResponse;
    }
    return {
      code: '40002',
      msg: 'Invalid Arguments',
      sub_code: 'isv.invalid-method',
      sub_msg: `不存在的方法名 ${method}`,
    };
  }

  /** A refund went through: the trade closes once wholly refunded, and a notification says so. */
  async function refunded(trade: Trade, refund: PeerRefund) {
    refund.status = 'REFUND_SUCCESS';
    refund.gmtRefundPay = beijing(now());
    if (trade.refunded >= fen(trade.totalAmount)) {
      trade.status = 'TRADE_CLOSED';
      trade.gmtClose = refund.gmtRefundPay;
    }
    await notify(trade, {
      out_biz_no: refund.outRequestNo,
      refund_fee: yuan(trade.refunded),
      gmt_refund: `${refund.gmtRefundPay}.000`,
    });
  }

  function notification(trade: Trade, extra: Record<string, string>): Notification {
    const params: Record<string, string> = {
      notify_type: 'trade_status_sync',
      notify_id: `${randomBytes(16).toString('hex')}`,
      app_id: options.appId,
      auth_app_id: options.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_id: '2088102177846880',
      buyer_logon_id: 'buy***@example.com',
      seller_id: '2088101117955611',
      trade_status: trade.status,
      total_amount: trade.totalAmount,
      subject: trade.subject,
      gmt_create: trade.gmtCreate,
      ...(trade.gmtPayment
        ? {
            receipt_amount: trade.totalAmount,
            buyer_pay_amount: trade.totalAmount,
            invoice_amount: trade.totalAmount,
            gmt_payment: trade.gmtPayment,
            fund_bill_list: JSON.stringify([{ amount: trade.totalAmount, fundChannel: 'ALIPAYACCOUNT' }]),
          }
        : {}),
      ...(trade.gmtClose ? { gmt_close: trade.gmtClose } : {}),
      ...extra,
    };
    return { notifyUrl: trade.notifyUrl, params };
  }

  /** Signs and posts a notification as the gateway does: a form, notify_time now (or `ageSeconds` ago). */
  async function post(
    note: Notification,
    how: { ageSeconds?: number; privateKey?: string; change?: Record<string, string> } = {},
  ): Promise<{ status: number; body: string }> {
    const params: Record<string, string> = {
      ...note.params,
      ...how.change,
      notify_time: beijing(new Date(now().getTime() - (how.ageSeconds ?? 0) * 1000)),
    };
    params.sign = rsa2(
      signContent(params, ['sign', 'sign_type']),
      how.privateKey ?? options.gatewayPrivateKey,
    );
    const res = await fetch(target(note.notifyUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, body: await res.text() };
  }

  /** Alipay retries a notification until it is answered "success"; a failed one waits in `failed`. */
  async function notify(trade: Trade, extra: Record<string, string> = {}) {
    const note = notification(trade, extra);
    if (state.notifications === 'hold') {
      held.push(note);
      return;
    }
    const sent = await post(note).catch(() => ({ status: 0, body: '' }));
    if (sent.status !== 200 || sent.body !== 'success') failed.push(note);
  }

  async function pay(outTradeNo: string): Promise<Trade> {
    const trade = trades.get(outTradeNo);
    if (!trade) throw new Error(`no trade ${outTradeNo}`);
    await expireDue(trade);
    if (trade.status !== 'WAIT_BUYER_PAY') throw new Error(`trade ${outTradeNo} is ${trade.status}`);
    trade.status = 'TRADE_SUCCESS';
    trade.gmtPayment = beijing(now());
    await notify(trade);
    return trade;
  }

  /** The trade closes unpaid (its time ran out, or the buyer gave up); the gateway notifies TRADE_CLOSED. */
  async function close(outTradeNo: string): Promise<void> {
    const trade = trades.get(outTradeNo);
    if (trade?.status !== 'WAIT_BUYER_PAY') throw new Error(`trade ${outTradeNo} cannot close`);
    trade.status = 'TRADE_CLOSED';
    trade.gmtClose = beijing(now());
    await notify(trade);
  }

  /** Where the buyer lands after paying: return_url with the signed synchronous return parameters. */
  function returnLocation(trade: Trade): string {
    const params: Record<string, string> = {
      charset: 'utf-8',
      out_trade_no: trade.outTradeNo,
      method: `${trade.method}.return`,
      total_amount: trade.totalAmount,
      trade_no: trade.tradeNo,
      auth_app_id: options.appId,
      version: '1.0',
      app_id: options.appId,
      sign_type: 'RSA2',
      seller_id: '2088101117955611',
      timestamp: beijing(now()),
    };
    params.sign = rsa2(signContent(params, ['sign', 'sign_type']), options.gatewayPrivateKey);
    const url = new URL(target(trade.returnUrl));
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  function html(res: ServerResponse, status: number, title: string, body: string) {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`);
  }

  /** The hosted cashier page: alipay.trade.page.pay / wap.pay, signed by the app, opening the trade. */
  async function cashier(res: ServerResponse, params: Record<string, string>) {
    const method = params.method as Trade['method'];
    const wanted = method === 'alipay.trade.wap.pay' ? 'QUICK_WAP_WAY' : 'FAST_INSTANT_TRADE_PAY';
    const biz = bizOf(params);
    const refused = refusal(params, 'page');
    requests.push({ method, params, biz: biz ?? {}, signed: !refused, contentType: undefined });
    if (refused)
      return html(
        res,
        400,
        '错误 (Error)',
        `<p data-testid="peer-error">${escapeHtml(refused.sub_code ?? '')}</p>`,
      );
    if (
      !biz?.out_trade_no ||
      !biz.subject ||
      !/^\d+(\.\d{1,2})?$/.test(biz.total_amount ?? '') ||
      biz.product_code !== wanted ||
      !params.notify_url ||
      !params.return_url
    )
      return html(
        res,
        400,
        '错误 (Error)',
        '<p data-testid="peer-error">isv.missing-or-invalid-parameter</p>',
      );
    let trade = trades.get(biz.out_trade_no);
    if (trade && trade.totalAmount !== biz.total_amount)
      return html(res, 400, '错误 (Error)', '<p data-testid="peer-error">ACQ.CONTEXT_INCONSISTENT</p>');
    if (!trade) {
      trade = {
        outTradeNo: biz.out_trade_no,
        tradeNo: `${beijing(now()).replace(/\D/g, '').slice(0, 8)}22001${digits(17)}`,
        method,
        totalAmount: biz.total_amount!,
        subject: biz.subject,
        status: 'WAIT_BUYER_PAY',
        notifyUrl: params.notify_url,
        returnUrl: params.return_url,
        timeExpire: biz.time_expire ?? null,
        gmtCreate: beijing(now()),
        gmtPayment: null,
        gmtClose: null,
        refunded: 0,
      };
      trades.set(trade.outTradeNo, trade);
    }
    await expireDue(trade);
    const action = `/pay/${encodeURIComponent(trade.outTradeNo)}`;
    return html(
      res,
      200,
      `支付宝 收银台 (Alipay test peer)`,
      `<p>${escapeHtml(trade.subject)}</p><p data-testid="peer-amount">¥${trade.totalAmount}</p>
<p data-testid="peer-status">${trade.status}</p>
${trade.status === 'WAIT_BUYER_PAY' ? `<form method="post" action="${action}"><button type="submit" name="action" value="pay">Pay</button> <button type="submit" name="action" value="cancel">Cancel</button></form>` : ''}`,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', base);
    const hosted = /^\/pay\/([^/]+)$/.exec(url.pathname);
    if (hosted && req.method === 'POST') {
      const trade = trades.get(decodeURIComponent(hosted[1]!));
      if (!trade) return html(res, 404, '交易不存在', '');
      if (new URLSearchParams(raw).get('action') === 'cancel') {
        await close(trade.outTradeNo);
        res.writeHead(302, { location: target(trade.returnUrl) });
        return res.end();
      }
      await pay(trade.outTradeNo);
      res.writeHead(302, { location: returnLocation(trade) });
      return res.end();
    }
    if (url.pathname !== '/gateway.do') return html(res, 404, 'Not found', '');
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (req.method === 'POST') Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    const method = params.method ?? '';
    if (method === 'alipay.trade.page.pay' || method === 'alipay.trade.wap.pay') return cashier(res, params);
    if (state.down) {
      res.socket?.destroy();
      return;
    }
    const biz = bizOf(params);
    const contentType = req.headers['content-type'];
    const refused = refusal(params, 'api');
    requests.push({ method, params, biz: biz ?? {}, signed: !refused, contentType });
    if (refused) return answer(res, method, refused);
    if (req.method !== 'POST' || !String(contentType).startsWith('application/x-www-form-urlencoded') || !biz)
      return answer(res, method, {
        code: '40002',
        msg: 'Invalid Arguments',
        sub_code: 'isv.invalid-biz-content',
      });
    return answer(res, method, await exec(method, biz));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    gateway: `${base}/gateway.do`,
    state,
    trades,
    refunds,
    requests,
    held,
    failed,
    /** The buyer opens the hosted page (the redirectUrl the app handed out): the trade opens. */
    open: async (redirectUrl: string) => {
      const res = await fetch(redirectUrl);
      return { status: res.status, html: await res.text() };
    },
    /** The buyer presses Pay (or Cancel) on the hosted page; answers where the browser is sent. */
    press: async (outTradeNo: string, action: 'pay' | 'cancel' = 'pay') => {
      const res = await fetch(`${base}/pay/${encodeURIComponent(outTradeNo)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `action=${action}`,
        redirect: 'manual',
      });
      return res.headers.get('location') ?? '';
    },
    pay,
    closeTrade: close,
    /** A refund that was answered "in progress" goes through now. */
    completeRefund: async (outTradeNo: string, outRequestNo: string) => {
      const refund = refunds.get(`${outTradeNo}/${outRequestNo}`);
      if (!refund) throw new Error(`no refund ${outTradeNo}/${outRequestNo}`);
      await refunded(trades.get(outTradeNo)!, refund);
    },
    /** Posts a held or failed notification (again; Alipay keeps its notify_id), signed now or `ageSeconds` ago. */
    post,
    /** Posts every failed notification again, as Alipay's retry schedule does; keeps the ones still failing. */
    retryFailed: async () => {
      const due = failed.splice(0);
      for (const note of due) {
        const sent = await post(note).catch(() => ({ status: 0, body: '' }));
        if (sent.status !== 200 || sent.body !== 'success') failed.push(note);
      }
      return failed.length;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type AlipayPeer = Awaited<ReturnType<typeof startAlipayPeer>>;
