import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importUsageCsv } from '../src/modules/usage/csv-import.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';

describeEachDialect('usage CSV import', (dialect) => {
  let t: TestApp;
  let iccid: string;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    ({ iccid } = await activeLine(t, 'importer@example.com'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-csv-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const header = 'id,iccid,type,startedAt,durationSeconds,bytes,counterpart,direction,country';
  const row = (i: number, type = 'data') =>
    `csv-${i},${iccid},${type},${new Date().toISOString()},${type === 'voice' ? 90 : ''},${type === 'data' ? 1048576 : ''},"+81 3 1234 5678",out,JP`;
  const count = async () =>
    Number(
      (
        await t.ctx.database.db
          .selectFrom('usage_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('streams a CSV in batches, reports rejects by line, and resumes after a crash without double counting', async () => {
    const file = path.join(dir, 'cdr.csv');
    fs.writeFileSync(
      file,
      `\uFEFF${header}\r\n${[1, 2, 3, 4, 5].map((i) => row(i, i === 3 ? 'voice' : 'data')).join('\r\n')}\r\ncsv-6,${iccid},fax,${new Date().toISOString()},,,,,JP\r\n`,
    );
    // A crash after the first two records were committed left a checkpoint behind.
    await t.ctx.usage.ingest(
      [1, 2].map((i) => ({
        id: `csv-${i}`,
        iccid,
        type: 'data',
        bytes: 1048576,
        startedAt: new Date().toISOString(),
        country: 'JP',
      })),
    );
    fs.writeFileSync(`${file}.progress`, '2');
    const progress: number[] = [];
    const summary = await importUsageCsv(t.ctx.usage, file, {
      batchSize: 2,
      onProgress: (s) => progress.push(s.read),
    });
    expect(summary).toMatchObject({ read: 6, skipped: 2, accepted: 3, duplicates: 0, brokenAt: null });
    expect(summary.rejected).toEqual([{ line: 7, code: 'INVALID_RECORD', field: 'type' }]);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(fs.existsSync(`${file}.progress`)).toBe(false);
    expect(await count()).toBe(5);

    // Running the whole file again counts nothing twice.
    const again = await importUsageCsv(t.ctx.usage, file);
    expect(again).toMatchObject({ accepted: 0, duplicates: 5 });
    expect(await count()).toBe(5);
  });

  it('stops at broken quoting, keeps what came before, and resumes from there once fixed', async () => {
    const file = path.join(dir, 'broken.csv');
    fs.writeFileSync(
      file,
      `${header}\n${row(10)}\n${row(11)}\ncsv-12,${iccid},data,"2026-11-25T10:00:00Z,,1,,,JP\n${row(13)}\n`,
    );
    const broken = await importUsageCsv(t.ctx.usage, file, { batchSize: 1 });
    expect(broken.brokenAt).not.toBeNull();
    expect(broken.accepted).toBe(2);
    expect(fs.readFileSync(`${file}.progress`, 'utf8')).toBe('2');
    fs.writeFileSync(file, `${header}\n${row(10)}\n${row(11)}\n${row(12)}\n${row(13)}\n`);
    const resumed = await importUsageCsv(t.ctx.usage, file, { batchSize: 1 });
    expect(resumed).toMatchObject({ skipped: 2, accepted: 2, duplicates: 0, brokenAt: null });
  });

  it('reads lines the same whichever way they end and wherever a read splits them', async () => {
    const at = new Date().toISOString();
    const content = (prefix: string) =>
      [
        `${header}\r\n`,
        `${prefix}-1,${iccid},sms,${at},,,張三,in,JP\n`,
        '\r\n',
        `${prefix}-2,${iccid},sms,${at},,,,out,JP\r`,
        `${prefix}-3,${iccid},fax,${at},,,,out,JP\r\n`,
        `${prefix}-4,${iccid},sms,${at},,,"+81 3 1234 5678",out,JP`,
      ].join('');
    const outcomes = [];
    for (const [prefix, readSize] of [
      ['whole', undefined],
      ['bytes', 3],
      ['odd', 7],
    ] as const) {
      const file = path.join(dir, `${prefix}.csv`);
      fs.writeFileSync(file, content(prefix));
      outcomes.push(await importUsageCsv(t.ctx.usage, file, { readSize }));
    }
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ read: 4, accepted: 3, duplicates: 0, brokenAt: null });
      expect(outcome.rejected).toEqual([{ line: 5, code: 'INVALID_RECORD', field: 'type' }]);
    }
    const counterpart = await t.ctx.database.db
      .selectFrom('usage_records')
      .select('counterpart')
      .where('record_id', 'in', ['whole-1', 'bytes-1', 'odd-1'])
      .execute();
    expect(counterpart.map((r) => r.counterpart)).toEqual(['張三', '張三', '張三']);
  });

  it('rejects a record with broken encoding', async () => {
    const file = path.join(dir, 'latin1.csv');
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`${header}\n`),
        Buffer.from(`csv-20,${iccid},sms,${new Date().toISOString()},,,`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(',out,JP\n'),
      ]),
    );
    const summary = await importUsageCsv(t.ctx.usage, file);
    expect(summary.rejected).toEqual([{ line: 2, code: 'INVALID_ENCODING' }]);
  });
});
