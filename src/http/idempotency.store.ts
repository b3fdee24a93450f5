import type { Insertable } from 'kysely';
import { sql } from 'kysely';
import type { Executor } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { IdempotencyKeysTable } from '../db/schema.js';

export function findIdempotencyKey(executor: Executor, scope: string, key: string) {
  return executor
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Claims the key with this row unless it exists; answers whether it did. */
export async function insertClaimIfFree(
  executor: Executor,
  row: Insertable<IdempotencyKeysTable>,
): Promise<boolean> {
  const inserted = await executor
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Takes an overdue claim over if `heldBy` still holds it (compare-and-set); answers whether it did. */
export async function takeOverClaim(
  executor: Executor,
  scope: string,
  key: string,
  heldBy: string | null,
  claim: { lockedUntil: string; token: string },
): Promise<boolean> {
  const taken = await executor
    .updateTable('idempotency_keys')
    .set({ locked_until: claim.lockedUntil, claim_token: claim.token })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('status', '=', 'in_progress')
    .where((eb) => (heldBy === null ? eb('claim_token', 'is', null) : eb('claim_token', '=', heldBy)))
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

/** Gives up the claim `token` still holds with no answer stored. */
export async function releaseClaim(executor: Executor, scope: string, key: string, token: string) {
  await executor
    .deleteFrom('idempotency_keys')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('claim_token', '=', token)
    .where('status', '=', 'in_progress')
    .execute();
}

/** The compare-and-set: the answer is stored only while `token` holds the claim. */
function storeIfHeld(
  executor: Executor,
  scope: string,
  key: string,
  token: string,
  status: number,
  body: string,
) {
  return executor
    .updateTable('idempotency_keys')
    .set({ status: 'done', response_status: status, response_body: body })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('claim_token', '=', token)
    .where('status', '=', 'in_progress');
}

export const storeAnswer = prepared(
  (executor: Executor, scope: string, key: string, token: string, status: number, body: string) =>
    storeIfHeld(executor, scope, key, token, status, body).returning('key'),
);

// On PostgreSQL the answer is sent with the work's other writes and not waited for (see prepared's
// `later`); a compare-and-set that finds no claim must still fail the transaction, so the statement
// divides by the number of rows it stored: none is a division by zero, reported at the latest by COMMIT.
export const storeAnswerOrFail = prepared(
  (executor: Executor, scope: string, key: string, token: string, status: number, body: string) =>
    executor
      .with('stored', () => storeIfHeld(executor, scope, key, token, status, body).returning('key'))
      .selectNoFrom(sql<number>`1 / (select count(*) from stored)`.as('held')),
);
