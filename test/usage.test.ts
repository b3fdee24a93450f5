import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { TEST_ENV } from './helpers/env.js';
import { activeLine } from './helpers/lines.js';
import { api, balanceOf, type Session, signIn, topUp } from './helpers/session.js';
import { unzip } from './helpers/zip.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;

describeEachDialect('usage records: ingest, rating, arrears, subscriber view', (dialect) => {
  let t: TestApp;
  let sub: Session;
  let key: string;
  let iccid: string;
  let lineId: string;
  let seq = 0;
  const record = (fields: Record<string, unknown>) => ({
    id: `cdr-${++seq}`,
    iccid,
    country: 'JP',
    startedAt: new Date().toISOString(),
    ...fields,
  });
  const send = (records: unknown[], bearer = key) =>
    api(t, 'POST', '/api/v1/usage/records', {
      body: { records },
      headers: { authorization: `Bearer ${bearer}` },
    });

  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    ({ session: sub, lineId, iccid } = await activeLine(t, 'caller@example.com', { device: 90 }));
    key = (await t.ctx.usage.addServiceKey('mediation')).key;
  });
  afterAll(() => t.close());

  it('refuses calls without a valid, unrevoked service key', async () => {
    expect((await send([], 'esk_wrong')).status).toBe(401);
    expect(
      (await api(t, 'POST', '/api/v1/usage/records', { body: { records: [] }, headers: sub.headers })).status,
    ).toBe(401);
    const spare = await t.ctx.usage.addServiceKey('old-mediation');
    expect((await send([], spare.key)).status).toBe(202);
    await t.ctx.usage.revokeServiceKeys('old-mediation');
    expect((await send([], spare.key)).status).toBe(401);
  });

  it('accepts good records once, reports duplicates and rejects bad ones by index without sinking the batch', async () => {
    const first = record({ type: 'data', bytes: GB });
    const res = await send([
      first,
      { ...first },
      record({ type: 'data' }),
      record({ type: 'fax', bytes: 1 }),
      record({ type: 'sms', country: 'XX' }),
      record({ type: 'voice', durationSeconds: 30, iccid: '89852342022019785558' }),
      record({ type: 'sms', startedAt: 'yesterday' }),
      'not a record',
      record({ type: 'sms', direction: 'in', counterpart: '+8613812345678' }),
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: [
        { index: 2, code: 'INVALID_RECORD', field: 'bytes' },
        { index: 3, code: 'INVALID_RECORD', field: 'type' },
        { index: 4, code: 'INVALID_COUNTRY', field: 'country' },
        { index: 5, code: 'UNKNOWN_ICCID', field: 'iccid' },
        { index: 6, code: 'INVALID_RECORD', field: 'startedAt' },
        { index: 7, code: 'INVALID_RECORD' },
      ],
      held: [],
    });
    expect((await send([first])).body).toMatchObject({ accepted: 0, duplicates: 1 });
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: sub.headers })).body;
    expect(line.allowances.dataBytes).toBe(4 * GB);
  });

  it('rates across the allowance boundary at the plan’s out-of-bundle rates and charges the wallet', async () => {
    const before = await balanceOf(t, sub);
    const res = await send([
      record({ type: 'data', bytes: 4 * GB + 512 * MB }),
      record({ type: 'voice', durationSeconds: 61, direction: 'out', counterpart: '+81312345678' }),
      record({ type: 'sms', direction: 'out', counterpart: '+81312345678' }),
    ]);
    expect(res.body).toMatchObject({ accepted: 3, rejected: [] });
    // 512 MB beyond the 4 GB left at 0.10/MB, 2 started minutes at 0.50, one SMS at 0.20.
    const expected = 512 * 10 + 2 * 50 + 20;
    expect(await balanceOf(t, sub)).toBe(before - expected);
    const usage = await api(t, 'GET', '/api/v1/me/usage?type=voice', { headers: sub.headers });
    expect(usage.body.items).toEqual([
      expect.objectContaining({
        type: 'voice',
        durationSeconds: 61,
        counterpart: '+81312****5678',
        charge: { amount: 100, currency: 'CNY' },
      }),
    ]);
    const statement = (await api(t, 'GET', '/api/v1/me/ledger?kind=usage', { headers: sub.headers })).body
      .items;
    expect(statement[0].amount).toEqual({ amount: -expected, currency: 'CNY' });
  });

  it('puts what the wallet cannot cover into arrears, never below zero', async () => {
    const balance = await balanceOf(t, sub);
    await send([record({ type: 'data', bytes: 10 * GB })]);
    expect(await balanceOf(t, sub)).toBe(0);
    expect(await t.ctx.usage.arrears(sub.account.id)).toBe(10 * 1024 * 10 - balance);
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('pages the subscriber’s records and refuses an oversized batch with 413', async () => {
    const page1 = await api(t, 'GET', '/api/v1/me/usage?limit=2', { headers: sub.headers });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await api(t, 'GET', `/api/v1/me/usage?limit=50&cursor=${page1.body.nextCursor}`, {
      headers: sub.headers,
    });
    const total = page1.body.items.length + page2.body.items.length;
    expect(total).toBe(6);
    const big = await send(Array.from({ length: 10_001 }, (_, i) => ({ id: `x${i}` })));
    expect(big).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('exports the subscriber’s data as a ZIP behind a signed, expiring link', async () => {
    const ticket = await api(t, 'POST', '/api/v1/me/tickets', {
      body: { subject: 'Call charges', message: 'Why was the Tokyo call charged?' },
      headers: sub.headers,
    });
    await t.ctx.support.replyAsStaff(
      ticket.body.id,
      { message: 'customer verified by phone', internal: true },
      { actor: { type: 'staff', id: 'acc_staff' } },
    );
    const requested = await api(t, 'POST', '/api/v1/me/exports', { headers: sub.headers });
    expect(requested).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect(
      (await api(t, 'GET', `/api/v1/me/exports/${requested.body.id}`, { headers: sub.headers })).body.status,
    ).toBe('pending');
    await t.ctx.runner.drain();
    const ready = (await api(t, 'GET', `/api/v1/me/exports/${requested.body.id}`, { headers: sub.headers }))
      .body;
    expect(ready).toMatchObject({
      status: 'ready',
      downloadUrl: expect.stringMatching(/^\/api\/v1\/exports\//),
    });

    const download = await fetch(`${t.url}${ready.downloadUrl}`);
    expect(download.headers.get('content-type')).toBe('application/zip');
    const files = await unzip(Buffer.from(await download.arrayBuffer()));
    expect([...files.keys()].sort()).toEqual([
      'README.txt',
      'calls.csv',
      'data.csv',
      'devices.csv',
      'forfeits.csv',
      'ledger.csv',
      'profile.json',
      'sms.csv',
      'tickets.json',
    ]);
    expect(JSON.parse(files.get('profile.json')!)).toMatchObject({
      id: sub.account.id,
      email: 'caller@example.com',
    });
    const calls = files.get('calls.csv')!;
    expect(calls.startsWith('\uFEFFid,time,duration_seconds,number,direction,country,charge_minor\r\n')).toBe(
      true,
    );
    expect(calls).toContain(',61,+81312345678,out,JP,100\r\n');
    expect(files.get('data.csv')!.split('\r\n').filter(Boolean)).toHaveLength(1 + 3);
    expect(files.get('ledger.csv')).toContain('topup');
    expect(files.get('devices.csv')).toContain(deviceEid(90));
    const tickets = JSON.parse(files.get('tickets.json')!);
    expect(tickets).toMatchObject([
      {
        subject: 'Call charges',
        messages: [{ author: 'subscriber', body: 'Why was the Tokyo call charged?' }],
      },
    ]);
    expect(tickets[0].messages).toHaveLength(1);
    expect(files.get('tickets.json')).not.toContain('customer verified by phone');

    // Change the first hex digit of the signature to a different one.
    const tampered = ready.downloadUrl.replace(
      /signature=(.)/,
      (_: string, c: string) => `signature=${c === '0' ? '1' : '0'}`,
    );
    expect((await fetch(`${t.url}${tampered}`)).status).toBe(403);
    const other = await signIn(t, 'nosy@example.com');
    expect(
      (await api(t, 'GET', `/api/v1/me/exports/${requested.body.id}`, { headers: other.headers })).status,
    ).toBe(404);
    await t.ctx.runner.drain();
    const mail = await api(t, 'GET', '/api/v1/dev/messages?to=caller@example.com');
    expect(mail.body.items[0].subject).toBe('Your data export is ready');
  });
});

// The compiled server builds archives on a worker thread loaded from dist (no TypeScript loader):
// the same export through that code, as production runs it. `npm test` builds dist first.
const COMPILED_ARCHIVE = new URL('../dist/server/modules/exports/archive.js', import.meta.url);
const compiledMissing = !fs.existsSync(COMPILED_ARCHIVE);
if (compiledMissing && TEST_ENV.ci)
  throw new Error('dist/server is missing: npm test builds it (npm run build:server)');
if (compiledMissing) console.warn('SKIPPED compiled export worker test: run npm run build:server first');

describeEachDialect('export archive on the compiled worker thread', (dialect) => {
  it.skipIf(compiledMissing)(
    'writes the subscriber’s archive from the compiled code, as production runs it',
    async () => {
      const t = await startTestApp(dialect);
      try {
        const sub = await signIn(t, 'worker@example.com');
        await topUp(t, sub, 1_234);
        const compiled = (await import(
          COMPILED_ARCHIVE.href
        )) as typeof import('../src/modules/exports/archive.js');
        const file = path.join(os.tmpdir(), `esimdesk-archive-${process.pid}-${dialect}.zip`);
        await compiled.buildArchive(t.db.config, t.ctx.database.db, {
          accountId: sub.account.id,
          walletId: t.ctx.wallet.walletId(sub.account.id),
          locale: 'zh-CN',
          brandName: 'Brand',
          now: new Date().toISOString(),
          profile: { id: sub.account.id },
          tickets: [],
          file,
        });
        const files = await unzip(fs.readFileSync(file));
        fs.rmSync(file);
        expect([...files.keys()].sort()).toContain('README-说明.txt');
        expect(files.get('ledger.csv')).toMatch(/^\uFEFFid,time,kind,amount_minor/);
        expect(files.get('ledger.csv')).toContain(',topup,1234,1234,');
        expect(files.get('calls.csv')!.split('\r\n').filter(Boolean)).toHaveLength(1);
      } finally {
        await t.close();
      }
    },
  );
});
