import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { importUsageCsv } from '../src/modules/usage/csv-import.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, balanceOf, type Session, signInStaff } from './helpers/session.js';

const MB = 1024 ** 2;
const GB = 1024 ** 3;
const MINUTE = 60_000;
const HOUR = 3_600_000;

// Plausibility bounds on usage records (issue 17, item 12): a record no network can produce is
// rejected by index and code; one that would charge more than the policy's ceiling waits for staff.
describeEachDialect('usage records: plausibility bounds and review of large charges', (dialect) => {
  const clock = new ManualClock('2026-11-02T02:00:00.000Z');
  let t: TestApp;
  let admin: Session;
  let agent: Session;
  let key: string;
  let dir: string;
  let seq = 0;
  const send = (records: unknown[]) =>
    api(t, 'POST', '/api/v1/usage/records', {
      body: { records },
      headers: { authorization: `Bearer ${key}` },
    });
  const setPolicies = async (patch: Record<string, number>) => {
    const res = await api(t, 'PATCH', '/api/v1/staff/policies', { body: patch, headers: admin.headers });
    expect(res.status).toBe(200);
  };
  const now = () => clock.now().toISOString();
  const ago = (ms: number) => new Date(clock.now().getTime() - ms).toISOString();
  const arrearsOf = (s: Session) => t.ctx.usage.arrears(s.account.id);

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock, env: { CURRENCY: 'CNY' } });
    await t.ctx.catalog.seedDemo();
    admin = await signInStaff(t, 'admin@operator.example.com', 'admin');
    agent = await signInStaff(t, 'agent@operator.example.com', 'agent');
    key = (await t.ctx.usage.addServiceKey('mediation')).key;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-bounds-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('rejects records no network produces, by index and code, and charges nothing for them', async () => {
    const { session, iccid } = await activeLine(t, 'bounds@example.com'); // activated 2026-11-02T02:00
    clock.set('2026-11-03T06:00:00.000Z');
    const record = (fields: Record<string, unknown>) => ({
      id: `bounds-${++seq}`,
      iccid,
      country: 'JP',
      startedAt: ago(HOUR),
      ...fields,
    });
    const wallet = await balanceOf(t, session);
    const res = await send([
      // The call that made CN¥8.3 M of arrears.
      record({ type: 'voice', durationSeconds: 1_000_000_000 }),
      record({ type: 'voice', durationSeconds: 86_401, startedAt: ago(25 * HOUR) }),
      // A whole day is still a call (mediation closes longer ones with interim records).
      record({ type: 'voice', durationSeconds: 86_400, startedAt: ago(24 * HOUR) }),
      record({ type: 'data', bytes: 50 * GB + 1 }),
      record({
        type: 'sms',
        direction: 'in',
        startedAt: new Date(clock.now().getTime() + HOUR).toISOString(),
      }),
      record({ type: 'voice', durationSeconds: 3600, startedAt: ago(MINUTE) }),
      // Before the line was activated.
      record({ type: 'sms', direction: 'in', startedAt: '2026-11-02T01:00:00.000Z' }),
      // Two minutes ahead: within what a mediation system's clock may run ahead.
      record({
        type: 'sms',
        direction: 'in',
        startedAt: new Date(clock.now().getTime() + 2 * MINUTE).toISOString(),
      }),
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [
        { index: 0, code: 'DURATION_TOO_LONG', field: 'durationSeconds' },
        { index: 1, code: 'DURATION_TOO_LONG', field: 'durationSeconds' },
        { index: 3, code: 'BYTES_TOO_LARGE', field: 'bytes' },
        { index: 4, code: 'STARTED_IN_FUTURE', field: 'startedAt' },
        { index: 5, code: 'ENDS_IN_FUTURE', field: 'durationSeconds' },
        { index: 6, code: 'LINE_NOT_ACTIVE', field: 'iccid' },
      ],
      held: [],
    });
    // Only the day-long call is charged: 1,440 minutes at 0.50, the wallet first, then arrears.
    expect(wallet - (await balanceOf(t, session)) + (await arrearsOf(session))).toBe(1440 * 50);

    // The bytes ceiling is a policy.
    await setPolicies({ usageMaxBytesPerRecord: MB });
    const small = await send([record({ type: 'data', bytes: 2 * MB }), record({ type: 'data', bytes: MB })]);
    expect(small.body).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, code: 'BYTES_TOO_LARGE', field: 'bytes' }],
    });
    await setPolicies({ usageMaxBytesPerRecord: 50 * GB });
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('holds a record charging more than the policy’s ceiling for staff; approving posts it exactly once', async () => {
    await setPolicies({ usageHoldAboveMinor: 5000 });
    const { session, iccid, lineId } = await activeLine(t, 'held@example.com'); // wallet 6,100 after the plan
    const big = { id: `held-${++seq}`, iccid, type: 'data', bytes: 6 * GB, country: 'JP', startedAt: now() };
    const res = await send([
      big,
      { id: `held-${++seq}`, iccid, type: 'data', bytes: MB, country: 'JP', startedAt: now() },
    ]);
    expect(res.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
      held: [{ index: 0, id: expect.stringMatching(/^uhd_/) }],
    });
    const holdId = res.body.held[0].id;
    // Nothing charged, and the allowance it would have used is still there for the record after it.
    expect(await balanceOf(t, session)).toBe(6100);
    expect(await arrearsOf(session)).toBe(0);
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    expect(line.allowances.dataBytes).toBe(5 * GB - MB);
    const mine = (await api(t, 'GET', '/api/v1/me/usage?type=data', { headers: session.headers })).body;
    expect(mine.items).toHaveLength(1);
    // Sent again, it is the same record: no second hold.
    expect((await send([big])).body).toMatchObject({ accepted: 0, duplicates: 1, held: [] });

    expect((await api(t, 'GET', '/api/v1/staff/usage/holds', { headers: agent.headers })).status).toBe(403);
    const queue = (await api(t, 'GET', '/api/v1/staff/usage/holds', { headers: admin.headers })).body;
    expect(queue.items).toEqual([
      expect.objectContaining({
        id: holdId,
        recordId: big.id,
        lineId,
        type: 'data',
        bytes: 6 * GB,
        // 1 GB beyond the 5 GB left when it arrived, at 0.10 per MB.
        quotedCharge: { amount: 1024 * 10, currency: 'CNY' },
        charge: null,
        status: 'held',
      }),
    ]);

    const decide = (body: Record<string, unknown>, id = holdId) =>
      api(t, 'POST', `/api/v1/staff/usage/holds/${id}/decision`, { body, headers: admin.headers });
    const [first, second] = await Promise.all([
      decide({ decision: 'approve', note: 'Checked with the roaming partner' }),
      decide({ decision: 'approve' }),
    ]);
    expect([first!.status, second!.status].sort()).toEqual([200, 409]);
    const approved = first!.status === 200 ? first! : second!;
    // Rated when approved: the 1 MB after it used the allowance first, so 1,025 MB beyond it.
    expect(approved.body).toMatchObject({
      status: 'approved',
      charge: { amount: 1025 * 10, currency: 'CNY' },
      decidedBy: admin.account.id,
    });
    expect(await balanceOf(t, session)).toBe(0);
    expect(await arrearsOf(session)).toBe(1025 * 10 - 6100);
    expect((await decide({ decision: 'reject' })).body.code).toBe('INVALID_TRANSITION');
    expect(await arrearsOf(session)).toBe(1025 * 10 - 6100);
    const after = (await api(t, 'GET', '/api/v1/me/usage?type=data', { headers: session.headers })).body;
    expect(after.items.map((i: { charge: { amount: number } }) => i.charge.amount).sort()).toEqual([
      0, 10250,
    ]);
    expect((await send([big])).body).toMatchObject({ accepted: 0, duplicates: 1 });

    // A rejected hold charges nothing, and the same record sent again stays rejected.
    const other = { ...big, id: `held-${++seq}`, bytes: 10 * GB };
    const otherId = (await send([other])).body.held[0].id;
    const rejected = await decide({ decision: 'reject', note: 'Duplicate CDR from the partner' }, otherId);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      charge: null,
      note: 'Duplicate CDR from the partner',
    });
    expect(await arrearsOf(session)).toBe(1025 * 10 - 6100);
    expect((await send([other])).body).toMatchObject({ accepted: 0, duplicates: 1, held: [] });
    const rejectedList = await api(t, 'GET', '/api/v1/staff/usage/holds?status=rejected', {
      headers: admin.headers,
    });
    expect(rejectedList.body.items.map((h: { id: string }) => h.id)).toEqual([otherId]);

    const unknown = await decide({ decision: 'approve' }, 'uhd_01JAAAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'USAGE_HOLD_NOT_FOUND' } });
    const bad = await decide({ decision: 'maybe' });
    expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(bad.body.details.field).toContain('decision');

    const audit = await t.ctx.audit.list({
      accountId: session.account.id,
      action: 'usage.',
      limit: 20,
    });
    expect(audit.items.map((a) => a.action).sort()).toEqual([
      'usage.held',
      'usage.held',
      'usage.hold_approved',
      'usage.hold_rejected',
    ]);
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('applies the same bounds and ceiling to a CSV import', async () => {
    await setPolicies({ usageHoldAboveMinor: 5000 });
    const { session, iccid } = await activeLine(t, 'csv-bounds@example.com');
    clock.advance(HOUR);
    const file = path.join(dir, 'cdr.csv');
    const row = (type: string, duration: string, bytes: string, startedAt = ago(MINUTE)) =>
      `csv-b-${++seq},${iccid},${type},${startedAt},${duration},${bytes},,out,JP`;
    fs.writeFileSync(
      file,
      [
        'id,iccid,type,startedAt,durationSeconds,bytes,counterpart,direction,country',
        row('data', '', String(MB)),
        row('voice', '1000000000', '', ago(2 * HOUR)),
        row('data', '', String(6 * GB)),
        row('sms', '', '', new Date(clock.now().getTime() + HOUR).toISOString()),
        row('data', '', String(60 * GB)),
      ].join('\n'),
    );
    const summary = await importUsageCsv(t.ctx.usage, file);
    expect(summary).toMatchObject({
      read: 5,
      accepted: 1,
      rejected: [
        { line: 3, code: 'DURATION_TOO_LONG', field: 'durationSeconds' },
        { line: 5, code: 'STARTED_IN_FUTURE', field: 'startedAt' },
        { line: 6, code: 'BYTES_TOO_LARGE', field: 'bytes' },
      ],
      held: [{ line: 4, id: expect.stringMatching(/^uhd_/) }],
    });
    expect(await arrearsOf(session)).toBe(0);
  });

  it('refuses a record with a field the contract does not have, naming it; a CSV column of its own is ignored', async () => {
    const { iccid } = await activeLine(t, 'closed-record@example.com');
    clock.advance(HOUR);
    const base = { iccid, type: 'data', startedAt: ago(MINUTE), bytes: 1024, country: 'JP' };
    const res = await send([
      { ...base, id: `closed-${++seq}` },
      { ...base, id: `closed-${++seq}`, byte: 1024 },
      { ...base, id: `closed-${++seq}`, __proto__x: 1 },
      // Its two free-text fields take no control or text-direction characters (core/text.ts).
      { ...base, id: `closed-${++seq}\u001b[2J` },
      { ...base, id: `closed-${++seq}`, counterpart: '+8613\u202e0000' },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 1, code: 'INVALID_RECORD', field: 'byte' },
        { index: 2, code: 'INVALID_RECORD', field: '__proto__x' },
        { index: 3, code: 'INVALID_RECORD', field: 'id' },
        { index: 4, code: 'INVALID_RECORD', field: 'counterpart' },
      ],
    });

    const file = path.join(dir, 'extra-columns.csv');
    fs.writeFileSync(
      file,
      [
        'id,iccid,type,startedAt,durationSeconds,bytes,counterpart,direction,country,cell_id',
        `closed-csv-${++seq},${iccid},data,${ago(MINUTE)},,2048,,,JP,44010-1234`,
      ].join('\n'),
    );
    expect(await importUsageCsv(t.ctx.usage, file)).toMatchObject({ read: 1, accepted: 1, rejected: [] });
  });

  it('stores each start time as one UTC instant, whatever form the mediation system wrote it in', async () => {
    clock.set('2026-11-04T02:00:00.000Z');
    const { iccid } = await activeLine(t, 'forms@example.com');
    clock.set('2026-11-05T06:00:00.000Z');
    const sms = (id: string, startedAt: string) => ({
      id,
      iccid,
      type: 'sms',
      direction: 'in',
      country: 'JP',
      startedAt,
    });
    const res = await send([
      // 2026-11-05T03:00Z written as local time in UTC+8.
      sms('form-1', '2026-11-05T11:00:00+08:00'),
      // Hour 24 is the next day's midnight.
      sms('form-2', '2026-11-04T24:00:00.000Z'),
      sms('form-3', '2026-11-05T03:00:00.000Z'),
    ]);
    expect(res.body).toMatchObject({ accepted: 3, rejected: [] });
    const stored = await t.ctx.database.db
      .selectFrom('usage_records')
      .select('started_at')
      .where('record_id', 'in', ['form-1', 'form-2', 'form-3'])
      .orderBy('record_id')
      .execute();
    expect(stored.map((row) => row.started_at)).toEqual([
      '2026-11-05T03:00:00.000Z',
      '2026-11-05T00:00:00.000Z',
      '2026-11-05T03:00:00.000Z',
    ]);
  });
});
