import { type Locale, translate } from '../../core/i18n.js';
import { formatMoney } from '../../core/money.js';
import type { Db } from '../../db/database.js';
import { getAccountRow } from '../identity/identity.store.js';
import type { LinesService } from '../lines/lines.service.js';
import type { UsageService } from '../usage/usage.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import type { BlockerCode } from './cancellation.schemas.js';
import { openRequestOf } from './cancellation.store.js';

/** The ways a balance can reach zero; the preflight offers exactly those that apply to this one. */
export type BalanceWay = 'refund' | 'transfer' | 'forfeit' | 'topup' | 'waiver';

export interface Blocker {
  code: BlockerCode;
  message: string;
  /** Where in the app the subscriber fixes it. */
  fixAt: string;
  details: Record<string, unknown>;
}

/**
 * The cancellation preflight (R6, R7, R11): every condition that stops an account from being closed,
 * each with a stable code, a message in the subscriber's language and where to fix it. The same check
 * runs at submission and again at approval.
 */
export function createEligibility(deps: {
  db: Db;
  wallet: Pick<WalletService, 'balance' | 'money' | 'refundable' | 'forfeitable' | 'moneyInFlight'>;
  usage: Pick<UsageService, 'arrears'>;
  lines: Pick<LinesService, 'devices'>;
}) {
  /** `ignoreRequest`: the request under review does not count as another open one. */
  async function check(
    accountId: string,
    locale: Locale,
    ignoreRequest?: string,
  ): Promise<{ eligible: boolean; blockers: Blocker[] }> {
    const blockers: Blocker[] = [];
    const openRequest = await openRequestOf(deps.db, accountId, ignoreRequest);
    if (openRequest) {
      blockers.push({
        code: 'REQUEST_OPEN',
        message: translate(locale, 'cancellation.blockers.REQUEST_OPEN'),
        fixAt: '/account/close',
        details: { requestId: openRequest.id },
      });
    }
    const balance = await balanceBlocker(accountId, locale);
    if (balance) blockers.push(balance);
    const devices = await deps.lines.devices(accountId);
    if (devices.length > 0) {
      blockers.push({
        code: 'DEVICES_BOUND',
        message: translate(locale, 'cancellation.blockers.DEVICES_BOUND', { count: devices.length }),
        fixAt: '/devices',
        details: { devices: devices.map((d) => ({ id: d.id, name: d.name, eid: d.eid })) },
      });
    }
    const inFlight = await deps.wallet.moneyInFlight(deps.db, accountId);
    if (inFlight.payments.length + inFlight.refunds.length > 0) {
      blockers.push({
        code: 'PAYMENT_IN_FLIGHT',
        message: translate(locale, 'cancellation.blockers.PAYMENT_IN_FLIGHT'),
        fixAt: '/wallet',
        details: { payments: inFlight.payments.map((p) => p.id), refunds: inFlight.refunds.map((r) => r.id) },
      });
    }
    return { eligible: blockers.length === 0, blockers };
  }

  /**
   * BALANCE_NOT_ZERO, naming only the ways that work for this balance: a refund up to what can go
   * back, a transfer, giving up what cannot be refunded; for arrears a top-up (it pays them first)
   * and, once a request to close is open, a waiver by staff.
   */
  async function balanceBlocker(accountId: string, locale: Locale): Promise<Blocker | null> {
    const wallet = await deps.wallet.balance(accountId);
    const arrears = deps.wallet.money(await deps.usage.arrears(accountId));
    if (wallet.amount === 0 && arrears.amount === 0) return null;
    const account = await getAccountRow(deps.db, accountId);
    const active = account.status === 'active';
    const refundable = deps.wallet.money((await deps.wallet.refundable(deps.db, accountId)).amount);
    const forfeitable = deps.wallet.money((await deps.wallet.forfeitable(deps.db, accountId)).amount);
    const ways: BalanceWay[] = [];
    const walletWays: string[] = [];
    const arrearsWays: string[] = [];
    const money = (value: { amount: number; currency: string }) => formatMoney(value, locale);
    if (wallet.amount > 0 && active) {
      if (refundable.amount > 0) {
        ways.push('refund');
        walletWays.push(translate(locale, 'cancellation.ways.refund', { amount: money(refundable) }));
      }
      ways.push('transfer');
      walletWays.push(translate(locale, 'cancellation.ways.transfer'));
      if (forfeitable.amount > 0) {
        ways.push('forfeit');
        walletWays.push(translate(locale, 'cancellation.ways.forfeit', { amount: money(forfeitable) }));
      }
    }
    if (arrears.amount > 0) {
      if (active) {
        ways.push('topup');
        arrearsWays.push(translate(locale, 'cancellation.ways.topup', { amount: money(arrears) }));
      }
      if (account.status === 'cancellation_pending') {
        ways.push('waiver');
        arrearsWays.push(translate(locale, 'cancellation.ways.waiver'));
      }
    }
    const separator = translate(locale, 'cancellation.ways.separator');
    const message = [
      // The amounts that are not zero only ("…¥0.00 owed" says nothing).
      translate(
        locale,
        arrears.amount === 0
          ? 'cancellation.balanceOnly.wallet'
          : wallet.amount === 0
            ? 'cancellation.balanceOnly.arrears'
            : 'cancellation.blockers.BALANCE_NOT_ZERO',
        { wallet: money(wallet), arrears: money(arrears) },
      ),
      walletWays.length > 0 &&
        translate(locale, 'cancellation.ways.wallet', { ways: walletWays.join(separator) }),
      arrearsWays.length > 0 &&
        translate(locale, 'cancellation.ways.arrears', { ways: arrearsWays.join(separator) }),
    ]
      .filter(Boolean)
      .join(locale === 'zh-CN' ? '' : ' ');
    return {
      code: 'BALANCE_NOT_ZERO',
      message,
      fixAt: '/wallet',
      details: { wallet, arrears, refundable, forfeitable, ways },
    };
  }

  return { check };
}

export type Eligibility = ReturnType<typeof createEligibility>;
