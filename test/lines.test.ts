import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { ES2_CODES } from '../src/integrations/smdp/es2plus.js';
import { parseActivationCode } from '../src/telecom/activation-code.js';
import { isValidIccid } from '../src/telecom/iccid.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { api, balanceOf, newKey, type Session, signIn, topUp } from './helpers/session.js';

const HOUR = 60 * 60 * 1000;

describeEachDialect('lines, eSIMs and devices', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  let sub: Session;
  let jpPlan: { id: string; price: { amount: number }; validityDays: number; dataMb: number };
  beforeEach(async () => {
    clock = new ManualClock('2026-07-01T08:00:00.000Z');
    t = await startTestApp(dialect, {
      clock,
      env: { CURRENCY: 'CNY', MAX_PROFILES_PER_LINE: '2', ICCID_PREFIX: '8986099', NUMBER_PREFIX: '+86170' },
    });
    await t.ctx.catalog.seedDemo();
    jpPlan = (await api(t, 'GET', '/api/v1/plans?country=JP')).body.items.find(
      (p: { code: string }) => p.code === 'jp-5gb-7d',
    );
    sub = await signIn(t, 'traveller@example.com');
    await topUp(t, sub, 20_000);
  });
  afterEach(() => t.close());

  const buy = (planId = jpPlan.id, key = newKey(), who = sub) =>
    api(t, 'POST', '/api/v1/me/lines', {
      body: { planId },
      headers: { ...who.headers, 'idempotency-key': key },
    });
  const download = (eid: string, activationCode: string) =>
    api(t, 'POST', `/emulator/smdp/devices/${eid}/download`, { body: { activationCode } });
  const line = async (id: string) =>
    (await api(t, 'GET', `/api/v1/me/lines/${id}`, { headers: sub.headers })).body;
  const devices = async () =>
    (await api(t, 'GET', '/api/v1/me/devices', { headers: sub.headers })).body.items;

  it('buys a plan, orders the eSIM over ES2+, installs it on a device and activates the line', async () => {
    const key = newKey();
    const bought = await buy(jpPlan.id, key);
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({
      status: 'pending',
      planId: jpPlan.id,
      esim: { state: 'ordering', iccid: null, activationCode: null },
    });
    expect(bought.body.msisdn).toMatch(/^\+86170\d{8}$/);
    expect(await balanceOf(t, sub)).toBe(20_000 - jpPlan.price.amount);
    const replay = await buy(jpPlan.id, key);
    expect(replay.body).toEqual(bought.body);
    expect(await balanceOf(t, sub)).toBe(20_000 - jpPlan.price.amount);

    await t.ctx.runner.drain();
    const ready = await line(bought.body.id);
    expect(ready.status).toBe('pending');
    expect(ready.esim.state).toBe('released');
    expect(isValidIccid(ready.esim.iccid)).toBe(true);
    expect(ready.esim.iccid.startsWith('8986099')).toBe(true);
    expect(parseActivationCode(ready.esim.activationCode)).toMatchObject({ smdpAddress: 'smdp.example.com' });
    await t.ctx.runner.drain();
    const mail = await api(t, 'GET', '/api/v1/dev/messages?to=traveller@example.com');
    expect(mail.body.items[0].text).toContain(ready.esim.activationCode);

    const qr = await fetch(`${t.url}/api/v1/me/esims/${ready.esim.id}/qr.svg`, { headers: sub.headers });
    expect(qr.headers.get('content-type')).toContain('image/svg+xml');
    expect(await qr.text()).toContain('<svg');

    const eid = deviceEid(1);
    const installed = await download(eid, ready.esim.activationCode);
    expect(installed).toMatchObject({
      status: 200,
      body: { state: 'installed', eid, iccid: ready.esim.iccid },
    });
    const active = await line(bought.body.id);
    expect(active).toMatchObject({ status: 'active', esim: { state: 'installed', eid } });
    expect(active.allowances).toMatchObject({ dataBytes: jpPlan.dataMb * 1024 * 1024, sms: 0 });
    expect(Date.parse(active.expiresAt) - clock.now().getTime()).toBe(jpPlan.validityDays * 24 * HOUR);
    expect(await devices()).toEqual([
      expect.objectContaining({
        eid,
        lineId: bought.body.id,
        iccid: ready.esim.iccid,
        name: `Device ·${eid.slice(-4)}`,
      }),
    ]);
    const statement = (await api(t, 'GET', '/api/v1/me/ledger?kind=purchase', { headers: sub.headers })).body
      .items;
    expect(statement).toEqual([
      expect.objectContaining({
        kind: 'purchase',
        amount: { amount: -jpPlan.price.amount, currency: 'CNY' },
      }),
    ]);
  });

  it('puts the same line on a second device, up to the limit, and ignores a duplicate notification', async () => {
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    const first = await line(bought.id);
    await download(deviceEid(1), first.esim.activationCode);
    const notification = {
      header: { functionRequesterIdentifier: t.ctx.config.smdp.callerId, functionCallIdentifier: 'dup-1' },
      eid: deviceEid(1),
      iccid: `${first.esim.iccid}`,
      profileType: 'esimdesk-default',
      timestamp: '2026-07-01T08:00:00Z',
      notificationPointId: '4',
      notificationPointStatus: { status: 'Executed-Success' },
    };
    const dup = await api(t, 'POST', '/gsma/rsp2/es2plus/handleDownloadProgressInfo', { body: notification });
    expect(dup.status).toBe(204);
    expect(await devices()).toHaveLength(1);

    const second = await api(t, 'POST', `/api/v1/me/lines/${bought.id}/esims`, {
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(second).toMatchObject({ status: 201, body: { state: 'ordering' } });
    await t.ctx.runner.drain();
    const both = await line(bought.id);
    const secondEsim = both.esims.find((e: { id: string }) => e.id === second.body.id);
    expect(secondEsim.state).toBe('released');
    expect(secondEsim.iccid).not.toBe(first.esim.iccid);
    await download(deviceEid(2), secondEsim.activationCode);
    expect((await devices()).map((d: { eid: string }) => d.eid)).toEqual([deviceEid(1), deviceEid(2)]);
    expect((await line(bought.id)).msisdn).toBe(bought.msisdn);

    const third = await api(t, 'POST', `/api/v1/me/lines/${bought.id}/esims`, {
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(third).toMatchObject({ status: 409, body: { code: 'DEVICE_LIMIT_REACHED', details: { max: 2 } } });
  });

  it('unbinds a device at once and makes its profile unusable on the network in the background', async () => {
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    const ready = await line(bought.id);
    await download(deviceEid(7), ready.esim.activationCode);
    const [device] = await devices();
    const renamed = await api(t, 'PATCH', `/api/v1/me/devices/${device.id}`, {
      body: { name: 'Work phone' },
      headers: sub.headers,
    });
    expect(renamed.body.name).toBe('Work phone');

    const other = await signIn(t, 'someone.else@example.com');
    expect(
      (await api(t, 'DELETE', `/api/v1/me/devices/${device.id}`, { headers: other.headers })).status,
    ).toBe(404);
    const unbound = await api(t, 'DELETE', `/api/v1/me/devices/${device.id}`, { headers: sub.headers });
    expect(unbound).toMatchObject({ status: 202, body: { status: 'unbinding' } });
    expect(await devices()).toEqual([]);
    expect((await line(bought.id)).esim.state).toBe('disabling');
    await t.ctx.runner.drain();
    expect((await line(bought.id)).esim.state).toBe('unusable');
    expect((await line(bought.id)).status).toBe('active');
    const actions = await t.ctx.database.db.selectFrom('network_actions').selectAll().execute();
    expect(actions).toEqual([expect.objectContaining({ subject: ready.esim.iccid, action: 'deactivate' })]);
    expect((await api(t, 'DELETE', `/api/v1/me/devices/${device.id}`, { headers: sub.headers })).status).toBe(
      404,
    );
    // The unusable profile cannot be installed again.
    expect((await download(deviceEid(8), ready.esim.activationCode)).body.code).toBe(
      'PROFILE_NOT_DOWNLOADABLE',
    );
  });

  it('moves a line to a new phone: the old profile ends only once the new one is installed', async () => {
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    const first = await line(bought.id);
    await download(deviceEid(11), first.esim.activationCode);
    const [oldPhone] = await devices();

    const key = newKey();
    const moved = await api(t, 'POST', `/api/v1/me/devices/${oldPhone.id}/move`, {
      headers: { ...sub.headers, 'idempotency-key': key },
    });
    expect(moved).toMatchObject({ status: 201, body: { state: 'ordering', replacesDeviceId: oldPhone.id } });
    const again = await api(t, 'POST', `/api/v1/me/devices/${oldPhone.id}/move`, {
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(again.body.id).toBe(moved.body.id);
    await t.ctx.runner.drain();
    const newProfile = (await line(bought.id)).esims.find((e: { id: string }) => e.id === moved.body.id);
    expect(newProfile.state).toBe('released');
    // Until the new phone installs, the old one stays in service.
    expect((await devices()).map((d: { id: string }) => d.id)).toEqual([oldPhone.id]);

    await download(deviceEid(12), newProfile.activationCode);
    expect((await devices()).map((d: { eid: string }) => d.eid)).toEqual([deviceEid(12)]);
    await t.ctx.runner.drain();
    const after = await line(bought.id);
    expect(after.esims.find((e: { id: string }) => e.id === first.esim.id).state).toBe('unusable');
    expect(after.msisdn).toBe(bought.msisdn);
    expect(after.status).toBe('active');
    // Half-way through the validity the line is still active (and using it keeps the session alive).
    clock.advance(4 * 24 * HOUR);
    expect((await line(bought.id)).status).toBe('active');
    clock.advance((jpPlan.validityDays - 4) * 24 * HOUR);
    expect((await line(bought.id)).status).toBe('expired');
    const late = await api(t, 'POST', `/api/v1/me/devices/${(await devices())[0].id}/move`, {
      headers: { ...sub.headers, 'idempotency-key': newKey() },
    });
    expect(late.body).toMatchObject({ code: 'LINE_NOT_ACTIVE', details: { status: 'expired' } });
  });

  it('refunds exactly and frees the number when the SM-DP+ has no profile left', async () => {
    t.ctx.smdpEmulator!.faults.failNext = ES2_CODES.inventoryExhausted;
    const bought = (await buy()).body;
    expect(await balanceOf(t, sub)).toBe(20_000 - jpPlan.price.amount);
    await t.ctx.runner.drain();
    const failed = await line(bought.id);
    expect(failed).toMatchObject({ status: 'failed', esim: { state: 'failed' } });
    expect(await balanceOf(t, sub)).toBe(20_000);
    const refund = (await api(t, 'GET', '/api/v1/me/ledger?kind=refund', { headers: sub.headers })).body
      .items;
    expect(refund).toEqual([
      expect.objectContaining({ amount: { amount: jpPlan.price.amount, currency: 'CNY' } }),
    ]);
    const number = await t.ctx.database.db
      .selectFrom('numbers')
      .selectAll()
      .where('msisdn', '=', bought.msisdn)
      .executeTakeFirstOrThrow();
    expect(number.status).toBe('available');
    await t.ctx.runner.drain();
    const sms = await api(t, 'GET', '/api/v1/dev/messages?to=traveller@example.com');
    expect(sms.body.items[0].subject).toContain('could not prepare');
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
    // The freed number goes to the next buyer.
    expect((await buy()).body.msisdn).toBe(bought.msisdn);
  });

  it('retries when the SM-DP+ is down and completes when it is back', async () => {
    t.ctx.smdpEmulator!.faults.httpStatusNext = 503;
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    expect((await line(bought.id)).esim.state).toBe('ordering');
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    expect((await line(bought.id)).esim.state).toBe('released');
    expect(await balanceOf(t, sub)).toBe(20_000 - jpPlan.price.amount);
  });

  const inventory = () => t.ctx.smdpEmulator!.inventory();
  const esimOf = (lineId: string) =>
    t.ctx.database.db.selectFrom('esims').selectAll().where('line_id', '=', lineId).executeTakeFirstOrThrow();

  it('continues the same order after a DownloadOrder whose answer was lost: one profile reserved, none leaked', async () => {
    t.ctx.smdpEmulator!.faults.dropAnswerNext = 'downloadOrder';
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    // The SM-DP+ reserved the profile and the answer never came; the ICCID was recorded before asking.
    const ordering = await esimOf(bought.id);
    expect(ordering.state).toBe('ordering');
    expect(isValidIccid(ordering.iccid!)).toBe(true);
    expect(await inventory()).toEqual({ byState: { allocated: 1 }, reserved: 1 });
    expect((await line(bought.id)).esim).toMatchObject({ state: 'ordering', iccid: null });

    clock.advance(HOUR);
    await t.ctx.runner.drain();
    expect((await line(bought.id)).esim).toMatchObject({ state: 'released', iccid: ordering.iccid });
    expect(await inventory()).toEqual({ byState: { released: 1 }, reserved: 0 });
    const told = await t.ctx.database.db
      .selectFrom('messages')
      .select('template')
      .where('template', '=', 'esim_ready')
      .execute();
    expect(told).toHaveLength(1);
    // The next order takes the next ICCID of the range.
    const next = (await buy()).body;
    await t.ctx.runner.drain();
    expect((await line(next.id)).esim.iccid).not.toBe(ordering.iccid);
    expect(await inventory()).toEqual({ byState: { released: 2 }, reserved: 0 });
  });

  it('gives the profile back (CancelOrder) when an order that reserved one fails for good, and refunds once', async () => {
    t.ctx.smdpEmulator!.faults.dropAnswerNext = 'downloadOrder';
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    expect((await inventory()).reserved).toBe(1);
    // The last attempt finds the SM-DP+ failing: the order fails for good.
    await t.ctx.database.db
      .updateTable('jobs')
      .set((eb) => ({ attempts: eb('max_attempts', '-', 1) }))
      .where('kind', '=', 'lines.esim.order')
      .execute();
    t.ctx.smdpEmulator!.faults.httpStatusNext = 503;
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    expect(await line(bought.id)).toMatchObject({ status: 'failed', esim: { state: 'failed' } });
    expect(await balanceOf(t, sub)).toBe(20_000);
    expect(await inventory()).toEqual({ byState: { available: 1 }, reserved: 0 });
    const cancelled = await t.ctx.database.db
      .selectFrom('audit_log')
      .select('subject_id')
      .where('action', '=', 'esim.order_cancelled')
      .execute();
    expect(cancelled).toEqual([{ subject_id: (await esimOf(bought.id)).id }]);
    expect(await t.ctx.ledger.verify(t.ctx.database.db)).toEqual([]);
  });

  it('gives the profile back when the runner died on the last attempt (the failure path) or the line ended mid-order', async () => {
    t.ctx.smdpEmulator!.faults.dropAnswerNext = 'downloadOrder';
    const first = (await buy()).body;
    await t.ctx.runner.drain();
    const esim = await esimOf(first.id);
    const job = await t.ctx.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'lines.esim.order')
      .where('payload', 'like', `%${esim.id}%`)
      .executeTakeFirstOrThrow();
    await t.ctx.lines.orderJob.onDeadLetter!(
      { esimId: esim.id },
      { job, signal: new AbortController().signal, reason: 'lease expired on the final attempt' },
    );
    await t.ctx.runner.drain();
    expect(await inventory()).toEqual({ byState: { available: 1 }, reserved: 0 });
    expect((await line(first.id)).status).toBe('failed');

    // A line ended (the account deregistered) while its order waits for a retry: the profile goes back.
    t.ctx.smdpEmulator!.faults.dropAnswerNext = 'downloadOrder';
    const second = (await buy()).body;
    await t.ctx.runner.drain();
    expect((await inventory()).reserved).toBe(1);
    await t.ctx.database.db
      .transaction()
      .execute((tx) => t.ctx.lines.terminateAccountLines(tx, sub.account.id, 'test'));
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    expect((await esimOf(second.id)).state).toBe('unusable');
    expect((await inventory()).reserved).toBe(0);
    expect((await inventory()).byState.released ?? 0).toBe(0);
  });

  it('sends a lost download notification again until it is taken, and a second copy binds nothing more', async () => {
    const bought = (await buy()).body;
    await t.ctx.runner.drain();
    const ready = await line(bought.id);
    const before = (await devices()).length;
    t.ctx.smdpEmulator!.faults.dropNotifications = true;
    expect((await download(deviceEid(31), ready.esim.activationCode)).status).toBe(200);
    // The device has the profile, but the operator never heard: nothing bound yet.
    expect((await line(bought.id)).esim.state).toBe('released');
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    expect((await line(bought.id)).esim.state).toBe('released');
    const owed = await t.ctx.database.db
      .selectFrom('jobs')
      .select(['status', 'attempts'])
      .where('kind', '=', 'smdp-emulator.notify')
      .execute();
    expect(owed).toHaveLength(2);
    expect(owed.every((j) => j.status === 'queued' && j.attempts >= 1)).toBe(true);

    t.ctx.smdpEmulator!.faults.dropNotifications = false;
    clock.advance(HOUR);
    await t.ctx.runner.drain();
    const installed = await line(bought.id);
    expect(installed.esim.state).toBe('installed');
    expect(installed.status).toBe('active');
    expect((await devices()).length).toBe(before + 1);
    // The SM-DP+ sends the installed notification once more (its acknowledgement was lost): still one device.
    const again = await api(t, 'POST', '/gsma/rsp2/es2plus/handleDownloadProgressInfo', {
      body: {
        header: { functionRequesterIdentifier: t.ctx.config.smdp.callerId, functionCallIdentifier: 'again' },
        eid: deviceEid(31),
        iccid: installed.esim.iccid,
        profileType: 'esimdesk-jp',
        timestamp: '2026-11-25T10:00:00Z',
        notificationPointId: 4,
        notificationPointStatus: { status: 'Executed-Success' },
      },
      headers: { 'x-admin-protocol': 'gsma/rsp/v2.5.0' },
    });
    expect(again.status).toBe(204);
    expect((await devices()).length).toBe(before + 1);
    const delivered = await t.ctx.database.db
      .selectFrom('jobs')
      .select('status')
      .where('kind', '=', 'smdp-emulator.notify')
      .execute();
    expect(delivered.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('refuses bad purchases and bad device input without moving money', async () => {
    expect((await buy('pln_01NOPLANAAAAAAAAAAAAAAAAAA')).body.code).toBe('PLAN_NOT_FOUND');
    const poor = await signIn(t, 'poor@example.com');
    expect((await buy(jpPlan.id, newKey(), poor)).body.code).toBe('INSUFFICIENT_BALANCE');
    const admin = await (await import('./helpers/session.js')).signInStaff(
      t,
      'ops@operator.example.com',
      'admin',
    );
    await api(t, 'POST', `/api/v1/staff/plans/${jpPlan.id}/retire`, { headers: admin.headers });
    expect((await buy()).body.code).toBe('PLAN_RETIRED');
    expect(await balanceOf(t, sub)).toBe(20_000);
    expect(
      (await api(t, 'POST', '/api/v1/me/lines', { body: { planId: jpPlan.id }, headers: sub.headers })).body
        .code,
    ).toBe('IDEMPOTENCY_KEY_REQUIRED');

    expect(
      (await download('89049032123451234512345678901234', 'LPA:1$smdp.example.com$X')).body,
    ).toMatchObject({ code: 'INVALID_EID' });
    expect((await download(deviceEid(3), 'LPA:1$')).body).toMatchObject({ code: 'INVALID_ACTIVATION_CODE' });
    expect((await download(deviceEid(3), 'LPA:1$smdp.example.com$NOPE')).body).toMatchObject({
      code: 'PROFILE_NOT_DOWNLOADABLE',
    });
    const noHeader = await api(t, 'POST', '/gsma/rsp2/es2plus/handleDownloadProgressInfo', {
      body: {
        iccid: '89860990000000000017',
        notificationPointId: 4,
        notificationPointStatus: { status: 'Executed-Success' },
      },
    });
    // ES2+ answers in ES2+ form: Failed, a mandatory element missing (2.2).
    expect(noHeader).toMatchObject({
      status: 200,
      body: {
        header: {
          functionExecutionStatus: {
            status: 'Failed',
            statusCodeData: { reasonCode: '2.2', subjectIdentifier: 'header' },
          },
        },
      },
    });
    const unknown = await api(t, 'POST', '/gsma/rsp2/es2plus/handleDownloadProgressInfo', {
      body: {
        header: { functionRequesterIdentifier: t.ctx.config.smdp.callerId, functionCallIdentifier: 'y' },
        iccid: '89852342022019785558',
        profileType: 'esimdesk-default',
        timestamp: '2026-07-01T08:00:00Z',
        notificationPointId: 4,
        notificationPointStatus: { status: 'Executed-Success' },
      },
    });
    expect(unknown).toMatchObject({
      status: 200,
      body: {
        header: { functionExecutionStatus: { status: 'Failed', statusCodeData: ES2_CODES.iccidUnknown } },
      },
    });
    expect(
      (await api(t, 'GET', '/api/v1/me/lines/lin_01NOTMINEAAAAAAAAAAAAAAAAA', { headers: sub.headers })).body
        .code,
    ).toBe('LINE_NOT_FOUND');
  });
});
