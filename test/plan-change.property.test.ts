import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { ledgerAccountId } from '../src/modules/wallet/ledger.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { api, newKey, signIn, topUp } from './helpers/session.js';

const MB = 1024 * 1024;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Plans of different shapes: data only, data with minutes and SMS, cheap and short, dear and long. */
const PLAN_CODES = ['jp-5gb-7d', 'jp-20gb-30d', 'hk-3gb-5d', 'us-10gb-30d'] as const;
const ADDON_CODES = ['data-1gb', 'data-5gb', 'voice-60', 'sms-50'] as const;
const MEASURES = ['time', 'data', 'voice', 'sms'] as const;
type Measure = (typeof MEASURES)[number];
type Units = Record<Measure, bigint>;

type Action =
  | { type: 'wait'; minutes: number }
  | { type: 'use'; kind: 'data' | 'voice' | 'sms'; percent: number }
  | { type: 'addon'; pick: number }
  | { type: 'change'; pick: number }
  | { type: 'rerate' };

// Weighted towards what the leak needed: use a lot of a plan, then change plans back and forth.
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('wait' as const),
      minutes: fc.oneof(fc.integer({ min: 0, max: 180 }), fc.integer({ min: 0, max: 10 * 24 * 60 })),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('use' as const),
      kind: fc.constantFrom('data' as const, 'data' as const, 'voice' as const, 'sms' as const),
      percent: fc.oneof(fc.constant(100), fc.integer({ min: 1, max: 100 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('addon' as const), pick: fc.nat(3) }) },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('change' as const), pick: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'rerate' as const }) },
);

interface Offer {
  id: string;
  price: number;
  units: Units;
}

/** The cheapest list price of one unit of `m` (as a fraction price/units) among what is on offer. */
function cheapest(offers: Offer[], m: Measure) {
  let best: { price: bigint; units: bigint } | null = null;
  for (const o of offers) {
    if (o.units[m] === 0n) continue;
    const candidate = { price: BigInt(o.price), units: o.units[m] };
    if (!best || candidate.price * best.units < best.price * candidate.units) best = candidate;
  }
  return best!;
}

// For any sequence of usage, add-ons, waiting and plan changes: what the subscriber paid for plans and
// add-ons is at least the list value of what they could use — for each of data, minutes, SMS and days,
// the units used in every period that a plan change ended, plus everything the current period holds,
// at the cheapest list price per unit of any plan or add-on — and the ledger verifies. The documented
// rule (docs/plan-changes.md) is checked too: every quote matches a model, and what is charged is the quote.
describeEachDialect('plan changes under random usage', (dialect) => {
  const clock = new ManualClock('2026-12-07T00:00:00.000Z');
  let t: TestApp;
  let run = 0;
  let seq = 0;
  const plans = new Map<string, Offer & { code: string; validityDays: number }>();
  const addons: Offer[] = [];

  beforeAll(async () => {
    t = await startTestApp(dialect, {
      clock,
      env: {
        CURRENCY: 'CNY',
        RATE_LIMIT_PER_MINUTE: '1000000',
        TOPUP_MAX_MINOR: '1000000',
        TOPUP_DAILY_MAX_MINOR: '10000000000',
      },
    });
    await t.ctx.catalog.seedDemo();
    await t.ctx.lineExtras.seedDemoAddons();
    for (const p of (await api(t, 'GET', '/api/v1/plans')).body.items) {
      if (!(PLAN_CODES as readonly string[]).includes(p.code)) continue;
      plans.set(p.code, {
        ...p,
        price: p.price.amount,
        units: {
          time: BigInt(p.validityDays * DAY),
          data: BigInt(p.dataMb * MB),
          voice: BigInt(p.voiceMinutes * 60),
          sms: BigInt(p.sms),
        },
      });
    }
    for (const a of (await api(t, 'GET', '/api/v1/addons')).body.items) {
      addons.push({
        id: a.id,
        price: a.price.amount,
        units: {
          time: 0n,
          data: BigInt(a.dataMb * MB),
          voice: BigInt(a.voiceMinutes * 60),
          sms: BigInt(a.sms),
        },
      });
    }
    expect(plans.size).toBe(PLAN_CODES.length);
    expect(addons.length).toBe(ADDON_CODES.length);
  });
  afterAll(() => t.close());

  it('never lets a subscriber use more than they paid for, and the ledger verifies', async () => {
    const db = t.ctx.database.db;
    const offers = [...plans.values(), ...addons];
    // One subscriber buys a new line for each run. Sessions end after 7 idle days: sign in again
    // before a run's waiting could reach that.
    const email = `plan-change.${dialect}@example.com`;
    const session = await signIn(t, email);
    let headers = session.headers;
    let signedInAt = clock.now().getTime();
    const keepSignedIn = async () => {
      if (clock.now().getTime() - signedInAt < 6 * DAY) return;
      headers = (await signIn(t, email)).headers;
      signedInAt = clock.now().getTime();
    };
    const wallet = ledgerAccountId('wallet', 'CNY', session.account.id);
    /** What the ledger took from the wallet for lines, plan changes and add-ons. */
    const purchases = async () =>
      Number(
        (
          await db
            .selectFrom('ledger_postings')
            .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('total'))
            .where('debit_id', '=', wallet)
            .where('kind', '=', 'purchase')
            .executeTakeFirstOrThrow()
        ).total,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(PLAN_CODES.length - 1),
        fc.array(action, { minLength: 1, maxLength: 16 }),
        async (first, actions) => {
          await keepSignedIn();
          await topUp(t, { ...session, headers }, 400_000);
          const purchasesBefore = await purchases();
          const lineId = (
            await api(t, 'POST', '/api/v1/me/lines', {
              body: { planId: plans.get(PLAN_CODES[first]!)!.id },
              headers: { ...headers, 'idempotency-key': newKey() },
            })
          ).body.id as string;
          await t.ctx.runner.drain();
          const line = async () => {
            await keepSignedIn();
            return (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers })).body;
          };
          const { iccid, activationCode } = (await line()).esim;
          await api(t, 'POST', `/emulator/smdp/devices/${deviceEid(7000 + ++run)}/download`, {
            body: { activationCode },
          });
          const bought = await line();
          expect(bought.status).toBe('active');

          // The model: what was paid, the current period, and the units used in periods now ended.
          let paid = bought.price.amount as number;
          let period = {
            plan: plans.get(PLAN_CODES[first]!)!,
            paid,
            start: Date.parse(bought.activatedAt),
            end: Date.parse(bought.expiresAt),
            pool: { data: 0n, voice: 0n, sms: 0n },
            left: { data: 0n, voice: 0n, sms: 0n },
          };
          const fresh = (plan: typeof period.plan, price: number, start: number) => {
            const pool = { data: plan.units.data, voice: plan.units.voice, sms: plan.units.sms };
            return {
              plan,
              paid: price,
              start,
              end: start + plan.validityDays * DAY,
              pool,
              left: { ...pool },
            };
          };
          period = fresh(period.plan, paid, period.start);
          period.end = Date.parse(bought.expiresAt);
          const ended: Units = { time: 0n, data: 0n, voice: 0n, sms: 0n };
          const usedOf = (k: 'data' | 'voice' | 'sms') => period.pool[k] - period.left[k];

          /** The documented rule, computed from the model: paid × (1 − the largest used share), rounded down. */
          const expectedCredit = (now: number) => {
            const of: Units = { ...period.plan.units, time: BigInt(period.end - period.start) };
            const elapsedHours = Math.ceil(Math.max(0, now - period.start) / HOUR);
            const used: Units = {
              time: BigInt(Math.min(elapsedHours * HOUR, period.end - period.start)),
              data: usedOf('data') < of.data ? usedOf('data') : of.data,
              voice: usedOf('voice') < of.voice ? usedOf('voice') : of.voice,
              sms: usedOf('sms') < of.sms ? usedOf('sms') : of.sms,
            };
            let credit = BigInt(period.paid);
            for (const m of MEASURES) {
              if (of[m] === 0n) continue;
              const share = (BigInt(period.paid) * (of[m] - used[m])) / of[m];
              if (share < credit) credit = share;
            }
            return Number(credit);
          };
          /** Records that happened just now (a call ended a second ago), as mediation sends them. */
          const ingest = async (records: Array<Record<string, unknown>>, seconds = 0) => {
            const startedAt = new Date(clock.now().getTime() - seconds * 1000 - 1000).toISOString();
            const result = await t.ctx.usage.ingest(
              records.map((r) => ({ id: `pcp-${dialect}-${++seq}`, iccid, startedAt, country: 'JP', ...r })),
            );
            expect(result).toMatchObject({ accepted: records.length, duplicates: 0, rejected: [], held: [] });
          };

          for (const a of actions) {
            clock.advance(60_000);
            await keepSignedIn();
            const now = clock.now().getTime();
            const expired = now >= period.end;
            switch (a.type) {
              case 'wait':
                clock.advance(a.minutes * 60_000);
                break;
              case 'use': {
                if (expired) break;
                if (a.kind === 'data') {
                  const bytes = (period.left.data * BigInt(a.percent)) / 100n;
                  if (bytes === 0n) break;
                  await ingest([{ type: 'data', bytes: Number(bytes) }]);
                  period.left.data -= bytes;
                } else if (a.kind === 'voice') {
                  const minutes = ((period.left.voice / 60n) * BigInt(a.percent)) / 100n;
                  if (minutes === 0n) break;
                  // The call takes its time: it must start in this period and end before now.
                  clock.advance(Number(minutes) * 60_000);
                  if (clock.now().getTime() >= period.end) break;
                  const seconds = Number(minutes * 60n);
                  await ingest([{ type: 'voice', durationSeconds: seconds, direction: 'out' }], seconds);
                  period.left.voice -= minutes * 60n;
                } else {
                  const count = Math.min(Number(period.left.sms), Math.ceil(a.percent / 20));
                  if (count === 0) break;
                  await ingest(Array.from({ length: count }, () => ({ type: 'sms', direction: 'out' })));
                  period.left.sms -= BigInt(count);
                }
                break;
              }
              case 'addon': {
                const addon = addons[a.pick]!;
                const res = await api(t, 'POST', `/api/v1/me/lines/${lineId}/addons`, {
                  body: { addonId: addon.id },
                  headers: { ...headers, 'idempotency-key': newKey() },
                });
                if (expired) {
                  expect(res.body.code).toBe('LINE_NOT_ACTIVE');
                  break;
                }
                expect(res.status, JSON.stringify(res.body)).toBe(201);
                paid += addon.price;
                for (const k of ['data', 'voice', 'sms'] as const) {
                  period.pool[k] += addon.units[k];
                  period.left[k] += addon.units[k];
                }
                break;
              }
              case 'change': {
                const target = plans.get(PLAN_CODES[a.pick]!)!;
                const path = `/api/v1/me/lines/${lineId}/plan-change`;
                const quote = await api(t, 'GET', `${path}?planId=${target.id}`, { headers });
                if (expired || target.id === period.plan.id) {
                  expect(quote.status).toBe(409);
                  expect(quote.body.code).toBe(expired ? 'LINE_NOT_ACTIVE' : 'CONFLICT');
                  break;
                }
                expect(quote.status, JSON.stringify(quote.body)).toBe(200);
                const credit = expectedCredit(now);
                expect(quote.body.paid.amount).toBe(period.paid);
                expect(quote.body.credit.amount).toBe(credit);
                expect(quote.body.credit.amount).toBeLessThanOrEqual(period.paid);
                expect(quote.body.toPay.amount).toBe(Math.max(0, target.price - credit));
                const changed = await api(t, 'POST', path, {
                  body: { planId: target.id, maxToPay: quote.body.toPay.amount },
                  headers: { ...headers, 'idempotency-key': newKey() },
                });
                expect(changed.status, JSON.stringify(changed.body)).toBe(201);
                expect(changed.body).toEqual(quote.body);
                paid += changed.body.toPay.amount;
                ended.time += BigInt(Math.min(now, period.end) - period.start);
                for (const k of ['data', 'voice', 'sms'] as const) ended[k] += usedOf(k);
                period = fresh(target, target.price, now);
                break;
              }
              case 'rerate': {
                // Records came in the order they happened, so rating the period again changes nothing.
                const summary = await t.ctx.usage.rerate(lineId, {
                  actor: { type: 'system', id: 'property' },
                  requestId: 'prop',
                });
                expect(summary.delta).toBe(0);
                break;
              }
            }
          }

          // The line holds what the model says: no allowance appeared from anywhere.
          const after = await line();
          expect(after.planId).toBe(period.plan.id);
          expect(Date.parse(after.expiresAt)).toBe(period.end);
          expect(after.allowances.dataBytes).toBe(Number(period.left.data));
          expect(after.allowances.voiceSeconds).toBe(Number(period.left.voice));
          expect(after.allowances.sms).toBe(Number(period.left.sms));

          // What the ledger took for the line, its plan changes and add-ons is what the model paid.
          expect((await purchases()) - purchasesBefore).toBe(paid);

          // Paid ≥ the list value of everything the subscriber could use, measure by measure.
          const usable: Units = {
            time: ended.time + BigInt(period.end - period.start),
            data: ended.data + period.pool.data,
            voice: ended.voice + period.pool.voice,
            sms: ended.sms + period.pool.sms,
          };
          for (const m of MEASURES) {
            const rate = cheapest(offers, m);
            expect(
              BigInt(paid) * rate.units >= usable[m] * rate.price,
              `${m}: paid ${paid} for ${usable[m]} units at ${rate.price}/${rate.units}`,
            ).toBe(true);
          }
          expect(await t.ctx.ledger.verify(db)).toEqual([]);
        },
      ),
      { numRuns: dialect === 'sqlite' ? 30 : 20 },
    );
  }, 240_000);
});
