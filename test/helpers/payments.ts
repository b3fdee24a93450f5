import { expect } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { TestApp } from './app.js';
import { api, newKey, type Session } from './session.js';

/**
 * What the payment-adapter suites ask of the app as one subscriber, in CNY. `current` returns the
 * test's app, subscriber and clock (new for each test).
 */
export function paymentSteps(current: () => { t: TestApp; who: Session; clock: ManualClock }) {
  return {
    topupOf: async (id: string) => {
      const { t, who } = current();
      return (await api(t, 'GET', `/api/v1/me/topups/${id}`, { headers: who.headers })).body;
    },
    /** The ledger's own check finds nothing wrong. */
    verify: async () => {
      const { t } = current();
      expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
    },
    /** Reconciles every payment at once: the clock a second past the (zero) window. */
    reconcileNow: () => {
      const { t, clock } = current();
      clock.advance(1000);
      return t.ctx.paymentWebhooks.reconcile(t.ctx.payments.provider, 0);
    },
    /** Asks for `amount` back; returns the refund's id. */
    refund: async (amount: number) => {
      const { t, who } = current();
      const res = await api(t, 'POST', '/api/v1/me/refunds', {
        body: { amount: { amount, currency: 'CNY' } },
        headers: { ...who.headers, 'idempotency-key': newKey() },
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    },
    refundRow: (id: string) =>
      current()
        .t.ctx.database.db.selectFrom('refunds')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
  };
}
