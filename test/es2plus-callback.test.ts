import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { ES2_CODES } from '../src/integrations/smdp/es2plus.js';
import { type Es2Listeners, startEs2Listeners } from '../src/integrations/smdp/es2plus.listener.js';
import { makeIccid } from '../src/telecom/iccid.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { deviceEid } from './helpers/devices.js';
import { activeLine } from './helpers/lines.js';
import { certificateMaker, EC_KEY } from './helpers/pki.js';
import { api, newKey, type Session, signIn, topUp } from './helpers/session.js';

const CALLBACK = '/gsma/rsp2/es2plus/handleDownloadProgressInfo';
const SMDP_ID = 'smdp.example.com';
const HOUR = 60 * 60 * 1000;

/**
 * Certificates made with openssl for this run: the SM-DP+'s CA and the SM-DP+'s client certificate,
 * the operator's server certificate for 127.0.0.1, and a stranger with the same name from another CA.
 */
function makePki(dir: string) {
  const certs = certificateMaker(dir, EC_KEY);
  for (const ca of ['smdp-ca', 'operator-ca', 'stranger-ca']) certs.ca(ca, `/CN=${ca}`);
  certs.issue('server', 'operator-ca', '/CN=es2.operator.example.com', { server: true });
  certs.issue('smdp', 'smdp-ca', `/CN=${SMDP_ID}/O=Example SM-DP+`);
  certs.issue('stranger', 'stranger-ca', `/CN=${SMDP_ID}/O=Example SM-DP+`);
  const { read } = certs;
  return {
    file: certs.file,
    operatorCa: read('operator-ca.pem'),
    smdp: { cert: read('smdp.pem'), key: read('smdp.key') },
    stranger: { cert: read('stranger.pem'), key: read('stranger.key') },
  };
}

interface Answer {
  status: number;
  body: { header?: { functionExecutionStatus?: { status: string; statusCodeData?: object } } } | null;
}

/** One POST over a real socket, with or without a client certificate, from a chosen local address. */
function post(
  url: string,
  body: unknown,
  options: {
    ca?: string;
    client?: { cert: string; key: string } | null;
    localAddress?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-admin-protocol': 'gsma/rsp/v2.5.0',
          ...options.headers,
        },
        localAddress: options.localAddress,
        ...(target.protocol === 'https:'
          ? { ca: options.ca, ...(options.client ?? {}), agent: false as const }
          : { agent: false as const }),
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const failed = (code: object) => ({
  status: 200,
  body: {
    header: { functionExecutionStatus: { status: 'Failed', statusCodeData: expect.objectContaining(code) } },
  },
});

let callSeq = 0;
/** A HandleDownloadProgressInfo as an SM-DP+ sends it. */
function progress(
  fields: { iccid: string; eid?: string; point?: number | string; timestamp?: string | number } & Record<
    string,
    unknown
  >,
  header: { requester?: string; callId?: string } = {},
) {
  return {
    header: {
      functionRequesterIdentifier: header.requester ?? SMDP_ID,
      functionCallIdentifier: header.callId ?? `call-${process.pid}-${++callSeq}`,
    },
    profileType: 'esimdesk-default',
    timestamp: '2026-07-01T08:00:00Z',
    notificationPointId: fields.point ?? 4,
    notificationPointStatus: { status: 'Executed-Success' },
    ...fields,
  };
}

/** A line bought and released by the SM-DP+ (not yet installed anywhere). */
async function releasedLine(t: TestApp, session: Session) {
  const plans = (await api(t, 'GET', '/api/v1/plans?country=JP')).body.items as Array<{
    id: string;
    code: string;
  }>;
  const plan = plans.find((p) => p.code === 'jp-5gb-7d')!;
  const bought = await api(t, 'POST', '/api/v1/me/lines', {
    body: { planId: plan.id },
    headers: { ...session.headers, 'idempotency-key': newKey() },
  });
  expect(bought.status).toBe(201);
  await t.ctx.runner.drain();
  const line = (await api(t, 'GET', `/api/v1/me/lines/${bought.body.id}`, { headers: session.headers })).body;
  expect(line.esim.state).toBe('released');
  return { lineId: line.id as string, iccid: line.esim.iccid as string, esimId: line.esim.id as string };
}

const lineOf = async (t: TestApp, session: Session, lineId: string) =>
  (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
const devicesOf = async (t: TestApp, session: Session) =>
  (await api(t, 'GET', '/api/v1/me/devices', { headers: session.headers })).body.items as Array<{
    eid: string;
    lineId: string;
  }>;
const refusals = (t: TestApp) =>
  t.ctx.database.db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', 'esim.progress_refused')
    .orderBy('id')
    .execute();

const production = () => ({
  ESIMDESK_MODE: 'production',
  ESIMDESK_SECRET: randomBytes(32).toString('hex'),
  ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
  SMDP_CALLER_ID: SMDP_ID,
});

describeEachDialect('ES2+ listener with mutual TLS, in production', (dialect) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-es2-'));
  let pki: ReturnType<typeof makePki>;
  let t: TestApp;
  let es2: Es2Listeners;
  let sub: Session;
  beforeAll(async () => {
    pki = makePki(dir);
    t = await startTestApp(dialect, {
      env: {
        ...production(),
        ES2_PORT: '0',
        ES2_TLS_CERT: pki.file('server.pem'),
        ES2_TLS_KEY: pki.file('server.key'),
        ES2_TLS_CLIENT_CA: pki.file('smdp-ca.pem'),
      },
    });
    await t.ctx.catalog.seedDemo();
    es2 = await startEs2Listeners(t.ctx);
    sub = await signIn(t, 'mtls@example.com');
    await topUp(t, sub, 20_000);
  });
  afterAll(async () => {
    await es2?.close();
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = (body: unknown, client: { cert: string; key: string } | null) =>
    post(`${es2.url}${CALLBACK}`, body, { ca: pki.operatorCa, client });

  it('refuses the TLS handshake without a client certificate, or with one from another CA, and binds nothing', async () => {
    const { lineId, iccid } = await releasedLine(t, sub);
    expect(es2.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await expect(call(progress({ iccid, eid: deviceEid(1) }), null)).rejects.toThrow();
    // The same name as the SM-DP+, from a CA the listener does not trust.
    await expect(call(progress({ iccid, eid: deviceEid(1) }), pki.stranger)).rejects.toThrow();
    expect((await lineOf(t, sub, lineId)).status).toBe('pending');
    expect(await t.ctx.database.db.selectFrom('es2_calls').selectAll().execute()).toEqual([]);
  });

  it('answers the right certificate with another functionRequesterIdentifier ES2+ Failed (1.1/1.2), binding nothing', async () => {
    const { lineId, iccid } = await releasedLine(t, sub);
    const answer = await call(
      progress({ iccid, eid: deviceEid(2) }, { requester: 'someone-else' }),
      pki.smdp,
    );
    expect(answer).toMatchObject(failed(ES2_CODES.requesterNotAllowed));
    expect((await lineOf(t, sub, lineId)).status).toBe('pending');
    expect(await devicesOf(t, sub)).toEqual([]);
  });

  it('binds the device for the SM-DP+ (its certificate and requester id): 204; a repeated call gets the same answer', async () => {
    const { lineId, iccid } = await releasedLine(t, sub);
    const eid = deviceEid(3);
    const notification = progress({ iccid, eid, timestamp: `${new Date().toISOString().slice(0, 19)}Z` });
    expect(await call(notification, pki.smdp)).toEqual({ status: 204, body: null });
    expect(await lineOf(t, sub, lineId)).toMatchObject({
      status: 'active',
      esim: { state: 'installed', eid },
    });
    expect(await devicesOf(t, sub)).toEqual([expect.objectContaining({ eid, lineId })]);
    // The SM-DP+ lost our answer and sends the very same call again.
    expect(await call(notification, pki.smdp)).toEqual({ status: 204, body: null });
    expect(await devicesOf(t, sub)).toHaveLength(1);
    const calls = await t.ctx.database.db
      .selectFrom('es2_calls')
      .selectAll()
      .where('call_id', '=', notification.header.functionCallIdentifier)
      .execute();
    expect(calls).toEqual([expect.objectContaining({ requester: SMDP_ID, outcome: 'bound', point: 4 })]);
    expect(calls[0]!.peer).toContain(`CN=${SMDP_ID}`);
    const bound = await t.ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'device.bound')
      .where('account_id', '=', sub.account.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(bound.after!).es2).toMatchObject({
      requester: SMDP_ID,
      peer: expect.stringContaining(SMDP_ID),
    });
  });

  it('answers the callback 404 on the public listener in production', async () => {
    const { lineId, iccid } = await releasedLine(t, sub);
    const res = await api(t, 'POST', CALLBACK, { body: progress({ iccid, eid: deviceEid(4) }) });
    expect(res).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(t.app.routeTable.some((r) => r.url === CALLBACK)).toBe(false);
    expect((await lineOf(t, sub, lineId)).status).toBe('pending');
  });

  it('keeps the built-in emulator working in production, through a loopback-only listener', async () => {
    expect(es2.loopbackUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { session, lineId } = await activeLine(t, 'emulated@example.com');
    expect(await lineOf(t, session, lineId)).toMatchObject({
      status: 'active',
      esim: { state: 'installed' },
    });
  });
});

describeEachDialect('ES2+ listener behind a proxy that terminates mutual TLS', (dialect) => {
  const fingerprint = randomBytes(32).toString('hex');
  const spelled = fingerprint.toUpperCase().match(/../g)!.join(':');
  let t: TestApp;
  let es2: Es2Listeners;
  let sub: Session;
  beforeAll(async () => {
    t = await startTestApp(dialect, {
      env: {
        ...production(),
        ES2_PORT: '0',
        ES2_TRUSTED_PROXY_HEADER: 'X-SSL-Client-Fingerprint',
        ES2_TRUSTED_PROXY_ALLOW: `CN=other.example.com;${spelled}`,
        ES2_TRUSTED_PROXY_PEERS: '127.0.0.2',
      },
    });
    await t.ctx.catalog.seedDemo();
    es2 = await startEs2Listeners(t.ctx);
    sub = await signIn(t, 'proxied@example.com');
    await topUp(t, sub, 20_000);
  });
  afterAll(async () => {
    await es2?.close();
    await t?.close();
  });

  const from = (localAddress: string, body: unknown, headers: Record<string, string> = {}) =>
    post(`${es2.url}${CALLBACK}`, body, { localAddress, headers });

  it('believes the certificate header only from the configured proxy, and only for an allowed certificate', async () => {
    const { lineId, iccid } = await releasedLine(t, sub);
    const eid = deviceEid(20);
    const header = { 'x-ssl-client-fingerprint': fingerprint };
    // Any other peer: the header is ignored, and it has no certificate of its own.
    expect(await from('127.0.0.1', progress({ iccid, eid }), header)).toMatchObject(
      failed(ES2_CODES.requesterNotAllowed),
    );
    // The proxy, vouching for no certificate or one not on the list.
    expect(await from('127.0.0.2', progress({ iccid, eid }))).toMatchObject(
      failed(ES2_CODES.requesterNotAllowed),
    );
    expect(
      await from('127.0.0.2', progress({ iccid, eid }), { 'x-ssl-client-fingerprint': 'ab'.repeat(32) }),
    ).toMatchObject(failed(ES2_CODES.requesterNotAllowed));
    expect((await lineOf(t, sub, lineId)).status).toBe('pending');

    // The proxy with the SM-DP+'s fingerprint (spelled differently from the allow-list).
    expect(await from('127.0.0.2', progress({ iccid, eid }), header)).toEqual({ status: 204, body: null });
    expect((await lineOf(t, sub, lineId)).status).toBe('active');
    const call = await t.ctx.database.db.selectFrom('es2_calls').selectAll().executeTakeFirstOrThrow();
    expect(call.peer).toBe(`proxy 127.0.0.2: ${spelled}`);
  });
});

describeEachDialect('ES2+ HandleDownloadProgressInfo: what a notification may change', (dialect) => {
  let t: TestApp;
  let clock: ManualClock;
  let owner: Session;
  beforeEach(async () => {
    clock = new ManualClock('2026-07-01T08:00:00.000Z');
    t = await startTestApp(dialect, { clock, env: { SMDP_CALLER_ID: SMDP_ID } });
    await t.ctx.catalog.seedDemo();
    owner = await signIn(t, 'owner@example.com');
    await topUp(t, owner, 50_000);
  });
  afterEach(() => t.close());

  // Demo mode serves the callback on the public listener; the rules below are the same on the ES2+ one.
  const notify = async (body: unknown) => {
    const res = await api(t, 'POST', CALLBACK, { body });
    return { status: res.status, body: res.body };
  };

  it('refuses a forged point 4 for another line: another EID, an EID failing MOD 97-10, a profile no longer in flight; each audited, nothing changed', async () => {
    const { lineId, iccid, esimId } = await releasedLine(t, owner);
    const owners = deviceEid(100);
    const attackers = deviceEid(666);
    expect(await notify(progress({ iccid, eid: owners, point: 3 }))).toEqual({ status: 204, body: null });

    expect(await notify(progress({ iccid, eid: attackers }))).toMatchObject(
      failed(ES2_CODES.eidNotAssociated),
    );
    expect(await notify(progress({ iccid, eid: '89049032000000000000000000000100' }))).toMatchObject(
      failed(ES2_CODES.eidInvalid),
    );
    expect(await lineOf(t, owner, lineId)).toMatchObject({
      status: 'pending',
      esim: { state: 'downloaded', eid: owners },
    });
    expect(await devicesOf(t, owner)).toEqual([]);

    expect(await notify(progress({ iccid, eid: owners }))).toEqual({ status: 204, body: null });
    expect(await notify(progress({ iccid, eid: attackers }))).toMatchObject(
      failed(ES2_CODES.eidNotAssociated),
    );
    const [device] = await devicesOf(t, owner);
    expect(device).toMatchObject({ eid: owners, lineId });
    expect(await devicesOf(t, owner)).toHaveLength(1);

    // Unbound and ended: the profile can never be bound again.
    await api(t, 'DELETE', `/api/v1/me/devices/${(device as { id?: string }).id}`, {
      headers: owner.headers,
    });
    await t.ctx.runner.drain();
    expect(await notify(progress({ iccid, eid: owners }))).toMatchObject(failed(ES2_CODES.invalidTransition));
    expect(await devicesOf(t, owner)).toEqual([]);

    const refused = await refusals(t);
    expect(refused.map((r) => [r.subject_id, r.account_id, JSON.parse(r.after!).code])).toEqual([
      [esimId, owner.account.id, '8.1.1/3.10'],
      [esimId, owner.account.id, '8.1.1/2.1'],
      [esimId, owner.account.id, '8.1.1/3.10'],
      [esimId, owner.account.id, '8.2.1/3.5'],
    ]);
    expect(refused.every((r) => r.actor_type === 'system' && r.actor_id === 'es2plus')).toBe(true);
  });

  it('refuses a point for a profile not yet released, and an ICCID nobody here ordered', async () => {
    const plans = (await api(t, 'GET', '/api/v1/plans?country=JP')).body.items as Array<{
      id: string;
      code: string;
    }>;
    const bought = await api(t, 'POST', '/api/v1/me/lines', {
      body: { planId: plans.find((p) => p.code === 'jp-5gb-7d')!.id },
      headers: { ...owner.headers, 'idempotency-key': newKey() },
    });
    // The SM-DP+ has allocated the profile; ConfirmOrder (the release) has not happened yet.
    const iccid = makeIccid('8986099', 9999, 20);
    await t.ctx.database.db
      .updateTable('esims')
      .set({ iccid, state: 'allocated' })
      .where('line_id', '=', bought.body.id)
      .execute();
    expect(await notify(progress({ iccid, eid: deviceEid(7) }))).toMatchObject(
      failed(ES2_CODES.invalidTransition),
    );
    expect(await notify(progress({ iccid: '89852342022019785558', eid: deviceEid(7) }))).toMatchObject(
      failed(ES2_CODES.iccidUnknown),
    );
    expect((await lineOf(t, owner, bought.body.id)).status).toBe('pending');
    expect((await refusals(t)).map((r) => r.subject_type)).toEqual(['esim', 'iccid']);
  });

  it('answers a repeated functionCallIdentifier as the first time, even when the repeat would now succeed', async () => {
    const { lineId, iccid } = await releasedLine(t, owner);
    const early = progress({ iccid, eid: deviceEid(8), timestamp: 'last tuesday' }, { callId: 'fixed-call' });
    const first = await notify(early);
    expect(first).toMatchObject(failed({ reasonCode: '2.1', subjectIdentifier: 'timestamp' }));
    expect(await notify({ ...early, timestamp: '2026-07-01T08:00:00Z' })).toEqual(first);
    expect((await lineOf(t, owner, lineId)).status).toBe('pending');
    expect(await notify(progress({ iccid, eid: deviceEid(8) }))).toEqual({ status: 204, body: null });
    expect((await lineOf(t, owner, lineId)).status).toBe('active');
  });

  it('answers missing or malformed fields in ES2+ form: 2.2 naming a missing one, 2.1 a malformed one', async () => {
    const { lineId, iccid } = await releasedLine(t, owner);
    const whole = progress({ iccid, eid: deviceEid(9) });
    for (const field of ['timestamp', 'iccid', 'notificationPointStatus', 'profileType', 'header'] as const) {
      const { [field]: _dropped, ...rest } = whole;
      expect(await notify(rest), field).toMatchObject(
        failed({ reasonCode: '2.2', subjectIdentifier: field }),
      );
    }
    expect(await notify({ ...whole, header: { functionRequesterIdentifier: SMDP_ID } })).toMatchObject(
      failed({ reasonCode: '2.2', subjectIdentifier: 'header.functionCallIdentifier' }),
    );
    expect(await notify({ ...whole, header: 'not a header' })).toMatchObject(
      failed({ reasonCode: '2.1', subjectIdentifier: 'header' }),
    );
    expect(await notify({ ...whole, iccid: 'x'.repeat(30) })).toMatchObject(
      failed({ subjectCode: '8.2.1', reasonCode: '2.1', subjectIdentifier: 'iccid' }),
    );
    const raw = await fetch(`${t.url}${CALLBACK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"header":',
    });
    expect(raw.status).toBe(200);
    expect((await raw.json()).header.functionExecutionStatus).toMatchObject({ status: 'Failed' });
    // Fields SGP.22 peers may add are accepted.
    expect((await lineOf(t, owner, lineId)).status).toBe('pending');
    expect(await notify({ ...whole, vendorExtension: { anything: 1 } })).toEqual({ status: 204, body: null });
  });

  it('starts the line at the install time the SM-DP+ reports, never before the order nor after now', async () => {
    const ordered = clock.now().getTime();
    const late = await releasedLine(t, owner);
    clock.advance(3 * HOUR);
    // Installed an hour after the order; the notification arrives two hours later.
    const installedAt = new Date(ordered + HOUR);
    expect(
      await notify(
        progress({
          iccid: late.iccid,
          eid: deviceEid(11),
          timestamp: `${installedAt.toISOString().slice(0, 19)}Z`,
        }),
      ),
    ).toEqual({ status: 204, body: null });
    const line = await lineOf(t, owner, late.lineId);
    expect(line.activatedAt).toBe(installedAt.toISOString());
    expect(Date.parse(line.expiresAt) - installedAt.getTime()).toBe(7 * 24 * HOUR);
    // Usage between the install and the notification is the subscriber's, not refused as LINE_NOT_ACTIVE.
    const key = (await t.ctx.usage.addServiceKey('mediation')).key;
    const usage = await api(t, 'POST', '/api/v1/usage/records', {
      body: {
        records: [
          {
            id: 'cdr-early',
            iccid: late.iccid,
            type: 'data',
            bytes: 1024,
            country: 'JP',
            startedAt: new Date(ordered + 2 * HOUR).toISOString(),
          },
        ],
      },
      headers: { authorization: `Bearer ${key}` },
    });
    expect(usage.body).toMatchObject({ accepted: 1, rejected: [] });

    const future = await releasedLine(t, owner);
    clock.advance(HOUR);
    expect(
      await notify(progress({ iccid: future.iccid, eid: deviceEid(12), timestamp: '2027-01-01T00:00:00Z' })),
    ).toEqual({ status: 204, body: null });
    expect((await lineOf(t, owner, future.lineId)).activatedAt).toBe(clock.now().toISOString());

    clock.advance(HOUR);
    const early = await releasedLine(t, owner);
    expect(
      await notify(progress({ iccid: early.iccid, eid: deviceEid(13), timestamp: '2020-01-01T00:00:00Z' })),
    ).toEqual({ status: 204, body: null });
    const earlyLine = await lineOf(t, owner, early.lineId);
    expect(earlyLine.activatedAt).toBe(earlyLine.createdAt);

    // Epoch seconds, as some SM-DP+s send.
    const epoch = await releasedLine(t, owner);
    clock.advance(HOUR);
    const at = clock.now().getTime() - 30 * 60 * 1000;
    expect(
      await notify(progress({ iccid: epoch.iccid, eid: deviceEid(14), timestamp: Math.floor(at / 1000) })),
    ).toEqual({ status: 204, body: null });
    expect((await lineOf(t, owner, epoch.lineId)).activatedAt).toBe(new Date(at).toISOString());
  });
});
