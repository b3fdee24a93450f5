import type { Logger } from 'pino';

/**
 * What a runner says while it cannot reach its database. The poll fails every interval (a second or
 * so) for as long as the database is down; an error line each time buried everything else in the
 * logs. The first failure is an error, then a warning at most every `everyMs` with the count so far,
 * and one info line with the total when a poll works again.
 */
export function createOutageLog(logger: Logger, everyMs = 60_000, now: () => number = Date.now) {
  let failedPolls = 0;
  let lastLogged = 0;
  return {
    failed(error: unknown): void {
      failedPolls++;
      if (failedPolls === 1) logger.error({ err: error }, 'runner could not claim jobs');
      else if (now() - lastLogged >= everyMs)
        logger.warn({ err: error, failedPolls }, 'runner still cannot claim jobs');
      else return;
      lastLogged = now();
    },
    succeeded(): void {
      if (failedPolls === 0) return;
      logger.info({ failedPolls }, 'runner claims jobs again');
      failedPolls = 0;
    },
  };
}
