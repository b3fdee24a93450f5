import { beforeAll, expect, it } from 'vitest';
import type { Dialect } from '../src/db/database.js';
import { createEs2Client } from '../src/integrations/smdp/client.js';
import { ES2_CODES, Es2Error } from '../src/integrations/smdp/es2plus.js';
import { isValidIccid, makeIccid } from '../src/telecom/iccid.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';

type Es2Client = ReturnType<typeof createEs2Client>;

/**
 * The app with its SM-DP+ emulator holding `inventory` profiles of the operator's range (894801…, 19
 * digits, types esimdesk-default and travel), and an ES2+ client of it over HTTP as test-operator.
 */
async function startEmulator(dialect: Dialect, inventory: number) {
  const t = await startTestApp(dialect, {
    env: {
      SMDP_EMULATOR_INVENTORY: String(inventory),
      ICCID_PREFIX: '894801',
      ICCID_LENGTH: '19',
      SMDP_EMULATOR_PROFILE_TYPES: 'esimdesk-default,travel',
      SMDP_REQUESTER_ID: 'test-operator',
    },
  });
  const client = createEs2Client({
    baseUrl: () => `${t.url}/emulator/smdp`,
    requesterId: 'test-operator',
    timeoutMs: 2000,
  });
  return {
    t,
    client,
    close: async () => {
      await client.close();
      await t.close();
    },
  };
}

/** The ES2+ error a call must fail with. */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected an ES2+ failure'),
    (e: unknown) => e as Es2Error,
  );

describeEachDialect('ES2+ client against the SM-DP+ emulator over HTTP', (dialect) => {
  let t: TestApp;
  let client: Es2Client;
  beforeAll(async () => {
    const emulator = await startEmulator(dialect, 3);
    ({ t, client } = emulator);
    return emulator.close;
  });

  it('answers a repeated ConfirmOrder with the same matching ID the same way (a retry after a lost answer)', async () => {
    const { iccid } = await client.downloadOrder({ profileType: 'travel' });
    const first = await client.confirmOrder({ iccid, releaseFlag: true, matchingId: 'ABCDE-12345' });
    const repeat = await client.confirmOrder({ iccid, releaseFlag: true, matchingId: 'ABCDE-12345' });
    expect(repeat).toEqual(first);
    const other = await failure(client.confirmOrder({ iccid, releaseFlag: true, matchingId: 'OTHER-00000' }));
    expect(other.is(ES2_CODES.invalidTransition)).toBe(true);
    await client.cancelOrder({ iccid, finalProfileStatusIndicator: 'Available' });
  });

  it('walks a profile through DownloadOrder, ConfirmOrder without release, ReleaseProfile and CancelOrder', async () => {
    const { iccid } = await client.downloadOrder({ profileType: 'travel' });
    expect(iccid).toHaveLength(19);
    expect(isValidIccid(iccid)).toBe(true);
    const confirmed = await client.confirmOrder({ iccid, releaseFlag: false });
    expect(confirmed.smdpAddress).toBe('smdp.example.com');
    expect(confirmed.matchingId).toMatch(/^[0-9A-F]{5}(-[0-9A-F]{5}){3}$/);
    await client.releaseProfile({ iccid });
    const again = await failure(client.releaseProfile({ iccid }));
    expect(again.is(ES2_CODES.invalidTransition)).toBe(true);
    await client.cancelOrder({ iccid, finalProfileStatusIndicator: 'Available' });
    // Cancelled back to available: the same profile is handed out again.
    expect((await client.downloadOrder({ profileType: 'travel' })).iccid).toBe(iccid);
  });

  it('answers SGP.22 status codes: unknown ICCID, missing profile type, exhausted inventory, wrong EID', async () => {
    expect(
      (await failure(client.confirmOrder({ iccid: '89852342022019785558', releaseFlag: true }))).is(
        ES2_CODES.iccidUnknown,
      ),
    ).toBe(true);
    const missingType = await failure(client.downloadOrder({ profileType: '' }));
    expect(missingType.is(ES2_CODES.profileTypeUnknown)).toBe(true);
    expect(missingType.final).toBe(true);
    await client.downloadOrder({ profileType: 'travel' });
    await client.downloadOrder({ profileType: 'travel' });
    const exhausted = await failure(client.downloadOrder({ profileType: 'travel' }));
    expect(exhausted.is(ES2_CODES.inventoryExhausted)).toBe(true);
    expect(exhausted.message).toContain('8.2.5/3.7');
  });

  it('refuses a profile type it does not hold (8.2.5/3.9) instead of making profiles for any type asked for', async () => {
    const unknown = await failure(client.downloadOrder({ profileType: 'unlimited-everything' }));
    expect(unknown.is(ES2_CODES.profileTypeUnknown)).toBe(true);
    expect(unknown.final).toBe(true);
    const made = await t.ctx.database.db
      .selectFrom('emu_profiles')
      .select('profile_type')
      .where('profile_type', '=', 'unlimited-everything')
      .execute();
    expect(made).toEqual([]);
  });

  it('answers a request without its ES2+ header, or with a malformed one, in ES2+ form (reason 2.2 / 2.1)', async () => {
    const call = async (body: unknown) => {
      const res = await fetch(`${t.url}/emulator/smdp/gsma/rsp2/es2plus/confirmOrder`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-admin-protocol': 'gsma/rsp/v2.5.0' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-admin-protocol')).toBe('gsma/rsp/v2.5.0');
      return (await res.json()).header.functionExecutionStatus;
    };
    expect(await call({ iccid: '8948010000000000000F', releaseFlag: true })).toMatchObject({
      status: 'Failed',
      statusCodeData: { reasonCode: '2.2', subjectIdentifier: 'header' },
    });
    expect(
      await call({
        header: { functionRequesterIdentifier: 'op', functionCallIdentifier: '' },
        releaseFlag: true,
        iccid: 'x',
      }),
    ).toMatchObject({
      status: 'Failed',
      statusCodeData: { reasonCode: '2.1', subjectIdentifier: 'header.functionCallIdentifier' },
    });
    expect(
      await call({
        header: { functionRequesterIdentifier: 'op', functionCallIdentifier: 'c1' },
        releaseFlag: true,
      }),
    ).toMatchObject({
      status: 'Failed',
      statusCodeData: { subjectCode: '8.2.1', reasonCode: '2.2', subjectIdentifier: 'iccid' },
    });
  });

  it('treats HTTP errors and timeouts as retryable, not as ES2+ failures', async () => {
    t.ctx.smdpEmulator!.faults.httpStatusNext = 502;
    await expect(client.downloadOrder({ profileType: 'travel' })).rejects.toThrow('HTTP 502');
    t.ctx.smdpEmulator!.faults.delayMs = 500;
    const impatient = createEs2Client({
      baseUrl: () => `${t.url}/emulator/smdp`,
      requesterId: 'test-operator',
      timeoutMs: 100,
    });
    const error = await impatient.downloadOrder({ profileType: 'travel' }).catch((e: unknown) => e);
    t.ctx.smdpEmulator!.faults.delayMs = 0;
    // Let the emulator finish the answer nobody waits for, so the connection is idle at shutdown.
    await new Promise((r) => setTimeout(r, 600));
    await impatient.close();
    expect(error).not.toBeInstanceOf(Es2Error);
    expect(String(error)).toMatch(/timeout|abort/i);
  });

  it('sends the SGP.22 headers and answers with them', async () => {
    const res = await fetch(`${t.url}/emulator/smdp/gsma/rsp2/es2plus/releaseProfile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-protocol': 'gsma/rsp/v2.5.0' },
      body: JSON.stringify({
        header: { functionRequesterIdentifier: 'test-operator', functionCallIdentifier: 'y' },
        iccid: '8948010000000000000F',
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-admin-protocol')).toBe('gsma/rsp/v2.5.0');
    expect((await res.json()).header.functionExecutionStatus).toMatchObject({
      status: 'Failed',
      statusCodeData: { subjectCode: '8.2.1', reasonCode: '3.9' },
    });
  });
});

describeEachDialect('SM-DP+ emulator: who may call it', (dialect) => {
  it('answers only its configured requester, and in production only this machine', async () => {
    for (const mode of ['demo', 'production'] as const) {
      const t = await startTestApp(dialect, {
        env: {
          SMDP_REQUESTER_ID: 'our-operator',
          ...(mode === 'production'
            ? {
                ESIMDESK_MODE: 'production',
                ESIMDESK_SECRET: '9c4e1f0b7a3d58e2c6b1f4a09d7e3c5b8a2f6d1e',
                ESIMDESK_ALLOW_DEMO_PARTS: 'smdp-emulator,test-payments,dev-mailbox',
              }
            : {}),
        },
      });
      try {
        const client = createEs2Client({
          baseUrl: () => `${t.url}/emulator/smdp`,
          requesterId: 'our-operator',
          timeoutMs: 2000,
        });
        const { iccid } = await client.downloadOrder({ profileType: 'esimdesk-default' });
        await client.close();
        const cancel = (requester: string, remoteAddress?: string) =>
          t.app.inject({
            method: 'POST',
            url: '/emulator/smdp/gsma/rsp2/es2plus/cancelOrder',
            headers: { 'content-type': 'application/json', 'x-admin-protocol': 'gsma/rsp/v2.5.0' },
            payload: {
              header: { functionRequesterIdentifier: requester, functionCallIdentifier: 'c1' },
              iccid,
              finalProfileStatusIndicator: 'Unavailable',
            },
            ...(remoteAddress ? { remoteAddress } : {}),
          });
        // A stranger naming any requester is refused, and the reserved profile stays as it was.
        const stranger = await cancel('anyone');
        expect(stranger.json().header.functionExecutionStatus).toMatchObject({
          status: 'Failed',
          statusCodeData: ES2_CODES.requesterNotAllowed,
        });
        expect((await t.ctx.smdpEmulator!.inventory()).reserved).toBe(1);
        if (mode === 'production') {
          // From another machine, even with the right requester, nothing is there.
          const remote = await cancel('our-operator', '203.0.113.7');
          expect(remote.statusCode).toBe(404);
          expect((await t.ctx.smdpEmulator!.inventory()).reserved).toBe(1);
        }
        const own = await cancel('our-operator');
        expect(own.json().header.functionExecutionStatus.status).toBe('Executed-Success');
        expect((await t.ctx.smdpEmulator!.inventory()).reserved).toBe(0);
      } finally {
        await t.close();
      }
    }
  });
});

describeEachDialect(
  'SM-DP+ emulator: DownloadOrder for a named ICCID, lost answers, the inventory',
  (dialect) => {
    let t: TestApp;
    let client: Es2Client;
    // The operator's range as the emulator holds it: serials 1 … 4.
    const iccid = (serial: number) => makeIccid('894801', serial, 19);
    beforeAll(async () => {
      const emulator = await startEmulator(dialect, 4);
      ({ t, client } = emulator);
      return emulator.close;
    });

    it('reserves the ICCID asked for once: a second DownloadOrder for it is refused as in use (8.2.1/3.3)', async () => {
      expect(await client.downloadOrder({ profileType: 'travel', iccid: iccid(2) })).toEqual({
        iccid: iccid(2),
      });
      const again = await failure(client.downloadOrder({ profileType: 'travel', iccid: iccid(2) }));
      expect(again.is(ES2_CODES.profileInUse)).toBe(true);
      expect(await t.ctx.smdpEmulator!.inventory()).toEqual({ byState: { allocated: 1 }, reserved: 1 });
      // Cancelled, it can be ordered again; a profile of one type is not handed out as another.
      await client.cancelOrder({ iccid: iccid(2), finalProfileStatusIndicator: 'Available' });
      const otherType = await failure(
        client.downloadOrder({ profileType: 'esimdesk-default', iccid: iccid(2) }),
      );
      expect(otherType.code).toMatchObject({ subjectCode: '8.2.5', reasonCode: '3.10' });
      expect(await t.ctx.smdpEmulator!.inventory()).toEqual({ byState: { available: 1 }, reserved: 0 });
    });

    it('knows only the ICCIDs of the operator range it holds: outside is unknown, past the inventory none is left', async () => {
      const beyond = await failure(client.downloadOrder({ profileType: 'travel', iccid: iccid(5) }));
      expect(beyond.is(ES2_CODES.inventoryExhausted)).toBe(true);
      const foreign = await failure(
        client.downloadOrder({ profileType: 'travel', iccid: '89852342022019785558' }),
      );
      expect(foreign.is(ES2_CODES.iccidUnknown)).toBe(true);
      expect((await t.ctx.smdpEmulator!.inventory()).byState).toEqual({ available: 1 });
    });

    it('carries out a call whose answer it then drops (dropAnswerNext): the caller sees a network error, the profile is reserved', async () => {
      t.ctx.smdpEmulator!.faults.dropAnswerNext = 'downloadOrder';
      const lost = await client
        .downloadOrder({ profileType: 'travel', iccid: iccid(3) })
        .catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(Error);
      expect(lost).not.toBeInstanceOf(Es2Error);
      expect(t.ctx.smdpEmulator!.faults.dropAnswerNext).toBeNull();
      const reserved = await t.ctx.database.db
        .selectFrom('emu_profiles')
        .select(['iccid', 'state'])
        .where('iccid', '=', iccid(3))
        .executeTakeFirstOrThrow();
      expect(reserved.state).toBe('allocated');
      expect((await t.ctx.smdpEmulator!.inventory()).reserved).toBe(1);
      // Profiles ordered by type continue after the highest one made, never over a named one.
      expect(await client.downloadOrder({ profileType: 'travel' })).toEqual({ iccid: iccid(2) });
      expect(await client.downloadOrder({ profileType: 'travel' })).toEqual({ iccid: iccid(4) });
      const none = await failure(client.downloadOrder({ profileType: 'travel' }));
      expect(none.is(ES2_CODES.inventoryExhausted)).toBe(true);
      expect(await t.ctx.smdpEmulator!.inventory()).toEqual({ byState: { allocated: 3 }, reserved: 3 });
    });
  },
);
