import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PostgresAdapter } from 'kysely';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Db, Executor } from '../db/database.js';
import type { IdempotencyKeysTable } from '../db/schema.js';
import {
  findIdempotencyKey,
  insertClaimIfFree,
  releaseClaim,
  storeAnswer,
  storeAnswerOrFail,
  takeOverClaim,
} from './idempotency.store.js';

const KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Stores the answer under the key; call it inside the transaction that does the work, so both commit
 * together. It succeeds only for the request holding the key's claim: for one whose claim was taken
 * over it fails, and so does the transaction (see createIdempotency).
 */
export type Complete = (executor: Executor, body: unknown) => Promise<void>;

/** The claim of this request was taken over: its work must not commit. */
class ClaimLost extends Error {
  constructor() {
    super('the idempotency claim was taken over by a retry');
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** How long a request that lost its claim waits for the winner's answer before saying 409 IN_PROGRESS. */
const WAIT_FOR_WINNER_MIN_MS = 5_000;
const WAIT_FOR_WINNER_MAX_MS = 30_000;

/**
 * Idempotency-Key handling for writes that move money or create orders: the same key with the same
 * request replays the first answer (status and body); with another request it is 409
 * IDEMPOTENCY_KEY_REUSED; while the first is running, 409 IDEMPOTENCY_IN_PROGRESS. Only successful
 * answers are kept: a failed request changed nothing (its transaction rolled back), so it may be retried.
 *
 * Each claim has a token. A claim not completed within claimMs may be taken over by a retry (its
 * process may have died), which gives it a new token; storing the answer is a compare-and-set on the
 * token in the transaction that does the work. So a first request that was only slow (blocked on a
 * lock past the window) can no longer commit once taken over: its transaction fails, and it answers
 * what the retry stored. Exactly one of them moves the money.
 */
export function createIdempotency(deps: { db: Db; clock: Clock; claimMs: number }) {
  const { db, clock } = deps;
  const waitForWinnerMs = Math.min(Math.max(deps.claimMs, WAIT_FOR_WINNER_MIN_MS), WAIT_FOR_WINNER_MAX_MS);

  const current = findIdempotencyKey;

  /** Claims the key for this request (returns null) or returns the stored answer to replay. */
  function claim(scope: string, key: string, hash: string, token: string) {
    const now = clock.now();
    const lockedUntil = new Date(now.getTime() + deps.claimMs).toISOString();
    return db.transaction().execute(async (tx) => {
      const inserted = await insertClaimIfFree(tx, {
        scope,
        key,
        request_hash: hash,
        status: 'in_progress',
        locked_until: lockedUntil,
        claim_token: token,
        created_at: now.toISOString(),
      });
      if (inserted) return null;
      const existing = await current(tx, scope, key);
      // Deleted since the insert found it (that request failed): the client may simply retry.
      if (!existing) throw new AppError('IDEMPOTENCY_IN_PROGRESS');
      if (existing.request_hash !== hash)
        throw new AppError('IDEMPOTENCY_KEY_REUSED', { header: 'Idempotency-Key' });
      if (existing.status === 'done') return existing;
      if (existing.locked_until > now.toISOString()) throw new AppError('IDEMPOTENCY_IN_PROGRESS');
      // Overdue: take the claim over. The new token means the first holder, should it still be alive,
      // can no longer store its answer, so it cannot commit its work either. The update is itself a
      // compare-and-set on the token read: of two retries taking over at once, one wins.
      if (await takeOverClaim(tx, scope, key, existing.claim_token, { lockedUntil, token })) return null;
      const settled = await current(tx, scope, key);
      if (settled?.status === 'done') return settled;
      throw new AppError('IDEMPOTENCY_IN_PROGRESS');
    });
  }

  /**
   * This request's work failed. If its claim was taken over, the winner's answer is the answer to
   * this request too (waited for a while); otherwise the claim is given up so the client may retry.
   */
  async function afterFailure(
    scope: string,
    key: string,
    token: string,
    error: unknown,
  ): Promise<IdempotencyKeysTable> {
    const deadline = Date.now() + waitForWinnerMs;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      let row: IdempotencyKeysTable | undefined;
      try {
        row = await current(db, scope, key);
      } catch {
        throw error;
      }
      if (row?.claim_token === token) {
        // Committed after all (a commit whose answer was lost on the way): the answer is ours.
        if (row.status === 'done') return row;
        await releaseClaim(db, scope, key, token);
        throw error;
      }
      // Taken over: the winner has the answer. Left free, the winner failed too: the client retries.
      if (row?.status === 'done') return row;
      if (row === undefined || Date.now() >= deadline) throw new AppError('IDEMPOTENCY_IN_PROGRESS');
      await sleep(pause);
    }
  }

  function replay(reply: FastifyReply, row: IdempotencyKeysTable, status: number): FastifyReply {
    reply.header('Idempotent-Replayed', 'true');
    return reply.status(row.response_status ?? status).send(JSON.parse(row.response_body ?? 'null'));
  }

  async function respond(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    work: (complete: Complete) => Promise<unknown>,
  ): Promise<FastifyReply> {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '')
      throw new AppError('IDEMPOTENCY_KEY_REQUIRED', { header: 'Idempotency-Key' });
    if (!KEY.test(key)) {
      throw new AppError(
        'VALIDATION_FAILED',
        { field: 'Idempotency-Key', in: 'headers' },
        { reason: 'Idempotency-Key must be 8–128 letters, digits or ._:-' },
      );
    }
    const scope = request.principal?.accountId ?? `ip:${request.ip}`;
    const hash = createHash('sha256')
      .update(
        JSON.stringify([request.method, request.routeOptions.url, request.params, canonical(request.body)]),
      )
      .digest('hex');
    const token = randomUUID();

    const stored = await claim(scope, key, hash, token);
    if (stored) return replay(reply, stored, status);

    let completed = false;
    const complete: Complete = async (executor, body) => {
      const json = JSON.stringify(body);
      if (executor.isTransaction && executor.getExecutor().adapter instanceof PostgresAdapter) {
        await storeAnswerOrFail.later(executor, scope, key, token, status, json);
      } else {
        const rows = await storeAnswer(executor, scope, key, token, status, json);
        if (rows.length === 0) throw new ClaimLost();
      }
      completed = true;
    };
    let body: unknown;
    try {
      body = await work(complete);
      if (!completed) await complete(db, body);
    } catch (error) {
      return replay(reply, await afterFailure(scope, key, token, error), status);
    }
    return reply.status(status).send(body);
  }

  return { respond };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
