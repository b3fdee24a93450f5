import type { Executor } from '../../../db/database.js';
import type { Es2CallsTable } from '../../../db/schema.js';
import type { ProgressAnswer } from '../download-progress.js';

/**
 * Records an ES2+ call by its requester and functionCallIdentifier: true when this is its first
 * arrival, else the answer the first one got. A concurrent twin waits on the key until the first
 * commits (PostgreSQL) or for the one writer (SQLite), then reads that answer.
 */
export async function claimEs2Call(executor: Executor, call: Es2CallsTable): Promise<true | ProgressAnswer> {
  const inserted = await executor
    .insertInto('es2_calls')
    .values(call)
    .onConflict((oc) => oc.columns(['requester', 'call_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
  const prior = await executor
    .selectFrom('es2_calls')
    .selectAll()
    .where('requester', '=', call.requester)
    .where('call_id', '=', call.call_id)
    .executeTakeFirstOrThrow();
  if (prior.outcome !== 'refused')
    return { outcome: prior.outcome === 'pending' ? 'ignored' : prior.outcome };
  return {
    outcome: 'refused',
    code: {
      subjectCode: prior.subject_code ?? '1.2',
      reasonCode: prior.reason_code ?? '3.8',
      ...(prior.subject_identifier ? { subjectIdentifier: prior.subject_identifier } : {}),
    },
    message: prior.message ?? 'refused',
  };
}

/** Stores the answer an ES2+ call got, for its repeats. */
export async function finishEs2Call(
  executor: Executor,
  requester: string,
  callId: string,
  answer: ProgressAnswer,
): Promise<void> {
  const refused = answer.outcome === 'refused';
  await executor
    .updateTable('es2_calls')
    .set({
      outcome: answer.outcome,
      subject_code: refused ? answer.code.subjectCode : null,
      reason_code: refused ? answer.code.reasonCode : null,
      subject_identifier: refused ? (answer.code.subjectIdentifier ?? null) : null,
      message: refused ? answer.message.slice(0, 500) : null,
    })
    .where('requester', '=', requester)
    .where('call_id', '=', callId)
    .execute();
}
