import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createOutageLog } from './outage-log.js';

function recordingLogger() {
  const lines: { level: string; msg: string; failedPolls?: number }[] = [];
  const at =
    (level: string) =>
    (fields: { failedPolls?: number }, msg: string): void => {
      lines.push({ level, msg, failedPolls: fields.failedPolls });
    };
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info') } as unknown as Logger };
}

describe("the runner's outage log", () => {
  it('says an outage once, then at most once a minute, then that it is over', () => {
    const { lines, logger } = recordingLogger();
    let now = 0;
    const log = createOutageLog(logger, 60_000, () => now);
    for (let poll = 0; poll < 150; poll++, now += 1_000) log.failed(new Error('connection refused'));
    log.succeeded();
    log.succeeded();
    expect(lines).toEqual([
      { level: 'error', msg: 'runner could not claim jobs', failedPolls: undefined },
      { level: 'warn', msg: 'runner still cannot claim jobs', failedPolls: 61 },
      { level: 'warn', msg: 'runner still cannot claim jobs', failedPolls: 121 },
      { level: 'info', msg: 'runner claims jobs again', failedPolls: 150 },
    ]);
  });

  it('starts afresh after a recovery', () => {
    const { lines, logger } = recordingLogger();
    const log = createOutageLog(logger, 60_000, () => 0);
    log.failed(new Error('a'));
    log.succeeded();
    log.failed(new Error('b'));
    expect(lines.map((l) => l.level)).toEqual(['error', 'info', 'error']);
  });
});
