import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { deviceEid } from './devices.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of many shapes, read field by field
export type Answer = { status: number; body: any };

/** One request to the servers under test: method, path, bearer token, JSON body, Idempotency-Key, headers. */
export type Send = (
  method: string,
  url: string,
  token: string | null,
  body?: unknown,
  key?: string,
  headers?: Record<string, string>,
) => Promise<Answer>;

/**
 * The body of an answer with the expected status; what happens otherwise is the test's: one that
 * asserts throws, one that counts the failures returns null.
 */
export type Expect = (
  status: number,
  what: string,
  answer: Promise<Answer>,
) => Promise<Answer['body'] | null>;

/** The operations a load acknowledged, and nothing else. */
export interface LoadLog {
  topups: Array<{ who: number; key: string; id: string; amount: number }>;
  transfers: Array<{ from: number; to: number; key: string; id: string; amount: number }>;
  lines: Array<{ who: number; key: string; id: string }>;
  /** Usage record ids, five a batch. */
  usage: string[];
  sessions: Array<{ email: string; token: string }>;
}

export interface LoadOptions {
  send: Send;
  ok: Expect;
  signIn(email: string): Promise<string | null>;
  /** The subscribers (signed in, with money and an active line each) and their addresses. */
  emails: string[];
  tokens: string[];
  /** The plan each purchase buys. */
  planId: string;
  /** The active lines the usage feed reports on, and the mediation feed's service key. */
  iccids: string[];
  usageKey: string;
  /** Names the load's usage records and newcomers (`<name>-3-1`, `<name>.new3@example.com`). */
  name: string;
  /** A pause before each operation of one worker: a bounded load that leaves the cores room. */
  paceMs: number;
  /** No usage starts before this instant (when the lines were active), epoch ms. */
  usageFrom?: number;
}

/**
 * The mixed load of the chaos and rolling-restart tests, until stop(): every subscriber tops up,
 * transfers to the others, buys lines and reads its balance in turn, each with a fresh
 * Idempotency-Key; a mediation feed sends usage records five a batch; newcomers sign in. Each
 * operation goes through `send` and `ok`, which decide what a failure does; only acknowledged
 * operations are logged. `done` settles when every worker has stopped, or fails with the first to fail.
 */
export function startLoad(options: LoadOptions): { log: LoadLog; stop(): void; done: Promise<unknown> } {
  const { send, ok, tokens, emails } = options;
  const log: LoadLog = { topups: [], transfers: [], lines: [], usage: [], sessions: [] };
  let stopped = false;
  const subscriber = async (who: number) => {
    const token = tokens[who]!;
    for (let i = 0; !stopped; i++) {
      await sleep(options.paceMs);
      const key = randomUUID();
      switch (i % 6) {
        case 0:
        case 3: {
          const amount = 100 + (i % 50);
          const paid = await ok(201, 'top-up', send('POST', '/api/v1/me/topups', token, { amount }, key));
          if (paid) log.topups.push({ who, key, id: paid.id, amount });
          break;
        }
        case 1:
        case 4: {
          const to = (who + 1 + (i % (tokens.length - 1))) % tokens.length;
          const moved = await ok(
            201,
            'transfer',
            send('POST', '/api/v1/me/transfers', token, { to: emails[to], amount: 7 }, key),
          );
          if (moved) log.transfers.push({ from: who, to, key, id: moved.id, amount: 7 });
          break;
        }
        case 2: {
          const bought = await ok(
            201,
            'purchase',
            send('POST', '/api/v1/me/lines', token, { planId: options.planId }, key),
          );
          if (bought) log.lines.push({ who, key, id: bought.id });
          break;
        }
        default:
          await ok(200, 'balance', send('GET', '/api/v1/me/balance', token));
      }
    }
  };
  const feed = async () => {
    for (let batch = 0; !stopped; batch++) {
      await sleep(options.paceMs);
      const records = Array.from({ length: 5 }, (_, i) => ({
        id: `${options.name}-${batch}-${i}`,
        iccid: options.iccids[(batch + i) % options.iccids.length],
        type: 'data',
        bytes: 1024 * 1024,
        country: 'JP',
        startedAt: new Date(Math.max(Date.now() - 500, options.usageFrom ?? 0)).toISOString(),
      }));
      const answer = await ok(
        202,
        'usage batch',
        send('POST', '/api/v1/usage/records', null, { records }, undefined, {
          authorization: `Bearer ${options.usageKey}`,
        }),
      );
      if (answer) {
        expect(answer.rejected).toEqual([]);
        log.usage.push(...records.map((r) => r.id));
      }
    }
  };
  const newcomers = async () => {
    for (let n = 0; !stopped; n++) {
      const email = `${options.name}.new${n}@example.com`;
      const token = await options.signIn(email);
      if (token) log.sessions.push({ email, token });
    }
  };
  const done = Promise.all([...tokens.map((_, who) => subscriber(who)), feed(), newcomers()]);
  return {
    log,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/**
 * Before a load: each signed-in subscriber (`tokens`) tops up 1,000,000 and buys the jp-5gb-7d plan,
 * whose eSIM is installed on simulated device `firstDevice + who` once released; returns when every
 * line is active, with the plan, the subscribers' account ids and the lines' ICCIDs.
 */
export async function subscribersWithLines(options: {
  send: Send;
  ok: Expect;
  until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T>;
  tokens: string[];
  firstDevice: number;
}) {
  const { send, ok, until } = options;
  const plans = (await ok(200, 'plans', send('GET', '/api/v1/plans?country=JP', null)))!.items as Array<{
    id: string;
    code: string;
    price: { amount: number };
  }>;
  const plan = plans.find((p) => p.code === 'jp-5gb-7d')!;
  const accountIds: string[] = [];
  const iccids: string[] = [];
  for (const [who, token] of options.tokens.entries()) {
    accountIds.push((await ok(200, 'me', send('GET', '/api/v1/me', token)))!.id);
    await ok(
      201,
      'first top-up',
      send('POST', '/api/v1/me/topups', token, { amount: 1_000_000 }, randomUUID()),
    );
    const line = (await ok(
      201,
      'first line',
      send('POST', '/api/v1/me/lines', token, { planId: plan.id }, randomUUID()),
    ))!;
    const released = await until(`line ${line.id} released`, async () => {
      const l = await ok(200, 'line', send('GET', `/api/v1/me/lines/${line.id}`, token));
      return l?.esim?.state === 'released' ? l : null;
    });
    await ok(
      200,
      'download',
      send('POST', `/emulator/smdp/devices/${deviceEid(options.firstDevice + who)}/download`, null, {
        activationCode: released.esim.activationCode,
      }),
    );
    await until(`line ${line.id} active`, async () => {
      const l = await ok(200, 'line', send('GET', `/api/v1/me/lines/${line.id}`, token));
      return l?.status === 'active';
    });
    iccids.push(released.esim.iccid as string);
  }
  return { plan, accountIds, iccids };
}

/** Whether every job but the recurring ones (always queued) has run: what a test waits for after a load. */
export async function queuesEmpty(db: Db): Promise<boolean> {
  const open = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['queued', 'running'])
    .where((eb) => eb.or([eb('idempotency_key', 'is', null), eb('idempotency_key', 'not like', 'every:%')]))
    .executeTakeFirstOrThrow();
  return Number(open.n) === 0;
}
