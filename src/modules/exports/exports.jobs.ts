import { Type } from 'typebox';
import { defineJob, type Jobs } from '../../runner/jobs.js';

/** Who carries out the exports module's job (exports.service.ts). */
export interface ExportJobHandlers {
  /** Writes the archive; on the last attempt a failure marks the export failed. */
  build(exportId: string, lastAttempt: boolean): Promise<void>;
}

/** The exports module's background work, registered with the runner; returns the job it enqueues. */
export function registerExportJobs(jobs: Pick<Jobs, 'register'>, handlers: ExportJobHandlers) {
  const buildJob = defineJob({
    kind: 'exports.build',
    payload: Type.Object({ exportId: Type.String() }),
    maxAttempts: 5,
    handle: ({ exportId }, { job }) => handlers.build(exportId, job.attempts >= job.max_attempts),
  });
  jobs.register(buildJob);
  return { buildJob };
}
