import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { newId } from '../src/core/ids.js';
import type { Complete } from '../src/http/idempotency.js';
import { insertSubscriber } from './helpers/accounts.js';
import { createTestContext, type TestContext } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';

type Action =
  | { type: 'topup'; who: number; amount: number; outcome: 'succeed' | 'fail' | 'pending' }
  | { type: 'transfer'; from: number; to: number; amount: number }
  | { type: 'refund'; who: number; amount: number; outcome: 'succeed' | 'fail' }
  | { type: 'deliver'; pick: number; twice: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    type: fc.constant('topup' as const),
    who: fc.nat(2),
    amount: fc.integer({ min: 1, max: 5000 }),
    outcome: fc.constantFrom('succeed' as const, 'fail' as const, 'pending' as const),
  }),
  fc.record({
    type: fc.constant('transfer' as const),
    from: fc.nat(2),
    to: fc.nat(2),
    amount: fc.integer({ min: 1, max: 4000 }),
  }),
  fc.record({
    type: fc.constant('refund' as const),
    who: fc.nat(2),
    amount: fc.integer({ min: 1, max: 4000 }),
    outcome: fc.constantFrom('succeed' as const, 'fail' as const),
  }),
  fc.record({ type: fc.constant('deliver' as const), pick: fc.nat(), twice: fc.boolean() }),
);

const noComplete: Complete = async () => {};
const SYSTEM = { type: 'system' as const, id: 'property-test' };

describeEachDialect('wallet agrees with a simple model', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect, {
      clock: new ManualClock('2026-06-01T08:00:00.000Z'),
      env: { TOPUP_MAX_MINOR: '1000000', TOPUP_DAILY_MAX_MINOR: '1000000000' },
    });
  });
  afterAll(() => t.close());

  it('for random top-ups, transfers, refunds and duplicated, reordered webhooks', async () => {
    const { wallet, payments, paymentWebhooks, runner, ledger, database } = t.ctx;
    const test = payments.test!;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
        const accounts = [
          await insertSubscriber(t.ctx),
          await insertSubscriber(t.ctx),
          await insertSubscriber(t.ctx),
        ];
        const ids = accounts.map((a) => a.id);
        const emails = accounts.map((a) => a.email);
        const model = ids.map(() => ({ balance: 0, unrefunded: 0 }));
        const heldBefore = test.held().length;
        const pending: Array<{ index: number; who: number; amount: number; delivered: boolean }> = [];
        for (const a of actions) {
          if (a.type === 'topup') {
            test.setOutcome('payment', a.outcome);
            const result = await wallet.topup(
              ids[a.who]!,
              { amount: a.amount, currency: t.ctx.config.currency },
              newId('req'),
              { actor: SYSTEM, requestId: 'prop', idempotency: noComplete },
            );
            if (a.outcome === 'succeed') {
              expect(result.status).toBe('succeeded');
              model[a.who]!.balance += a.amount;
              model[a.who]!.unrefunded += a.amount;
            } else if (a.outcome === 'pending') {
              pending.push({ index: test.held().length - 1, who: a.who, amount: a.amount, delivered: false });
            }
          } else if (a.type === 'transfer') {
            const ok = a.from !== a.to && a.amount <= model[a.from]!.balance;
            const attempt = wallet.transfer(
              ids[a.from]!,
              { to: emails[a.to]!, amount: { amount: a.amount, currency: t.ctx.config.currency } },
              { actor: SYSTEM, requestId: 'prop', idempotency: noComplete },
            );
            if (ok) {
              await attempt;
              model[a.from]!.balance -= a.amount;
              model[a.to]!.balance += a.amount;
            } else {
              await expect(attempt).rejects.toMatchObject({
                code: a.from === a.to ? 'SELF_TRANSFER' : 'INSUFFICIENT_BALANCE',
              });
            }
          } else if (a.type === 'refund') {
            const m = model[a.who]!;
            const refundable = Math.min(m.balance, m.unrefunded);
            test.setOutcome('refund', a.outcome);
            const attempt = wallet.requestRefund(
              ids[a.who]!,
              { amount: a.amount, currency: t.ctx.config.currency },
              { actor: SYSTEM, requestId: 'prop', idempotency: noComplete },
            );
            if (a.amount <= refundable) {
              await attempt;
              await runner.drain();
              if (a.outcome === 'succeed') {
                m.balance -= a.amount;
                m.unrefunded -= a.amount;
              }
            } else {
              await expect(attempt).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_REFUNDABLE' });
            }
          } else if (pending.length > 0) {
            const p = pending[a.pick % pending.length]!;
            const delivery = test.held()[p.index]!;
            for (let i = 0; i < (a.twice ? 2 : 1); i++) {
              const outcome = await paymentWebhooks.handle('test', delivery.rawBody, delivery.signature);
              expect(outcome).toBe(p.delivered ? 'duplicate' : 'applied');
              if (!p.delivered) {
                p.delivered = true;
                model[p.who]!.balance += p.amount;
                model[p.who]!.unrefunded += p.amount;
              }
            }
          }
          for (const [i, id] of ids.entries()) {
            expect((await wallet.balance(id)).amount).toBe(model[i]!.balance);
          }
        }
        expect(test.held().length - heldBefore).toBe(pending.length);
        expect(await ledger.verify(database.db)).toEqual([]);
      }),
      { numRuns: dialect === 'sqlite' ? 40 : 20 },
    );
  });
});
