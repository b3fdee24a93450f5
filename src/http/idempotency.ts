import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Db, Executor } from '../db/database.js';
import { prepared } from '../db/prepared.js';

const KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** Stores the answer under the key; call it inside the transaction that does the work, so both commit together. */
export type Complete = (executor: Executor, body: unknown) => Promise<void>;

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

const storeAnswer = prepared((executor: Executor, scope: string, key: string, status: number, body: string) =>
  executor
    .updateTable('idempotency_keys')
    .set({ status: 'done', response_status: status, response_body: body })
    .where('scope', '=', scope)
    .where('key', '=', key),
);

/**
 * Idempotency-Key handling for writes that move money or create orders: the same key with the same
 * request replays the first answer (status and body); with another request it is 409
 * IDEMPOTENCY_KEY_REUSED; while the first is running, 409 IDEMPOTENCY_IN_PROGRESS. Only successful
 * answers are kept: a failed request changed nothing (its transaction rolled back), so it may be retried.
 */
export function createIdempotency(deps: { db: Db; clock: Clock; claimMs: number }) {
  const { db, clock } = deps;
  // A claim not completed within claimMs is taken as abandoned (its process died) and may be retried;
  // the work commits together with the stored answer, so an abandoned claim never hides a done write.

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
    const now = clock.now();
    const lockedUntil = new Date(now.getTime() + deps.claimMs).toISOString();

    const claimed = await db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('idempotency_keys')
        .values({
          scope,
          key,
          request_hash: hash,
          status: 'in_progress',
          locked_until: lockedUntil,
          created_at: now.toISOString(),
        })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return null;
      const existing = await tx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('scope', '=', scope)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      if (existing.request_hash !== hash)
        throw new AppError('IDEMPOTENCY_KEY_REUSED', { header: 'Idempotency-Key' });
      if (existing.status === 'done') return existing;
      if (existing.locked_until > now.toISOString()) throw new AppError('IDEMPOTENCY_IN_PROGRESS');
      // The first attempt died mid-way: take the claim over; the work itself is written to be re-entrant.
      await tx
        .updateTable('idempotency_keys')
        .set({ locked_until: lockedUntil })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
      return null;
    });
    if (claimed) {
      reply.header('Idempotent-Replayed', 'true');
      return reply
        .status(claimed.response_status ?? status)
        .send(JSON.parse(claimed.response_body ?? 'null'));
    }

    let completed = false;
    const complete: Complete = async (executor, body) => {
      // Nothing reads the answer back in the work's transaction: its commit reports a failure.
      await storeAnswer.later(executor, scope, key, status, JSON.stringify(body));
      completed = true;
    };
    let body: unknown;
    try {
      body = await work(complete);
      if (!completed) await complete(db, body);
    } catch (error) {
      await db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('status', '=', 'in_progress')
        .execute();
      throw error;
    }
    return reply.status(status).send(body);
  }

  return { respond };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
