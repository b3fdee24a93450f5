import { Type } from 'typebox';
import { defineJob, type JobContext } from '../../runner/jobs.js';

/** Who carries out the lines module's jobs: the eSIM provisioning (lines.provisioning.ts). */
export interface LinesJobHandlers {
  orderEsim(esimId: string, context: JobContext): Promise<void>;
  abandonOrder(esimId: string, reason: string): Promise<void>;
  disableEsim(esimId: string, reason: string): Promise<void>;
  cancelReservation(esimId: string): Promise<void>;
}

/**
 * The lines module's background work. Its handlers enqueue some of these jobs themselves (a failed
 * order cancels its reservation), so they are looked up when a job runs, not when it is defined.
 */
export function defineLinesJobs(handlers: () => LinesJobHandlers) {
  const orderJob = defineJob({
    kind: 'lines.esim.order',
    payload: Type.Object({ esimId: Type.String() }),
    maxAttempts: 8,
    handle: ({ esimId }, context) => handlers().orderEsim(esimId, context),
    // No attempt left (its runner may have died on the last one): the order fails as it would have.
    onDeadLetter: ({ esimId }, { reason }) => handlers().abandonOrder(esimId, reason),
  });
  const disableJob = defineJob({
    kind: 'lines.esim.disable',
    payload: Type.Object({ esimId: Type.String(), reason: Type.String() }),
    maxAttempts: 30,
    handle: ({ esimId, reason }) => handlers().disableEsim(esimId, reason),
  });
  const cancelJob = defineJob({
    kind: 'lines.esim.cancel',
    payload: Type.Object({ esimId: Type.String() }),
    maxAttempts: 30,
    handle: ({ esimId }) => handlers().cancelReservation(esimId),
  });
  return { orderJob, disableJob, cancelJob };
}

export type LinesJobs = ReturnType<typeof defineLinesJobs>;
