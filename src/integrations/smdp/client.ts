import { randomUUID } from 'node:crypto';
import { iccidForEs2, normalizeIccid } from '../../telecom/iccid.js';
import { ES2_PATH, ES2_PROTOCOL, Es2Error, type FunctionExecutionStatus } from './es2plus.js';

export interface Es2ClientOptions {
  /** Base URL of the SM-DP+ (resolved per call: the built-in emulator's address is known only once listening). */
  baseUrl: () => string;
  requesterId: string;
  timeoutMs: number;
  /** PEM client certificate, key and CA for mutual TLS with the SM-DP+ (SGP.22 requires it in production). */
  tls?: { cert: string; key: string; ca?: string } | null;
}

interface Es2Response {
  header?: { functionExecutionStatus?: FunctionExecutionStatus };
  [key: string]: unknown;
}

/**
 * ES2+ client (operator → SM-DP+): JSON over HTTPS with the SGP.22 headers. Works against any SM-DP+
 * that follows SGP.22; mutual TLS is set up by the process's HTTPS agent in production.
 * Network errors, timeouts and non-2xx answers throw plain errors (retry); `Failed` throws a final Es2Error.
 */
export function createEs2Client(options: Es2ClientOptions) {
  // undici (for the client certificate) is loaded with the first call, not at start-up.
  let connection: Promise<{
    fetch: typeof import('undici').fetch;
    dispatcher: import('undici').Agent;
  }> | null = null;
  const connect = () => {
    connection ??= import('undici').then(({ Agent, fetch }) => ({
      fetch,
      dispatcher: new Agent({
        connect: options.tls ? { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca } : {},
        keepAliveTimeout: 30_000,
      }),
    }));
    return connection;
  };

  async function call(fn: string, body: Record<string, unknown>): Promise<Es2Response> {
    const { fetch, dispatcher } = await connect();
    const response = await fetch(`${options.baseUrl()}${ES2_PATH}/${fn}`, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-protocol': ES2_PROTOCOL },
      body: JSON.stringify({
        header: { functionRequesterIdentifier: options.requesterId, functionCallIdentifier: randomUUID() },
        ...body,
      }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) throw new Error(`ES2+ ${fn}: HTTP ${response.status}`);
    const protocol = response.headers.get('x-admin-protocol') ?? ES2_PROTOCOL;
    if (!protocol.startsWith('gsma/rsp/v2.')) throw new Error(`ES2+ ${fn}: unexpected protocol ${protocol}`);
    const answer = (await response.json()) as Es2Response;
    const status = answer.header?.functionExecutionStatus;
    if (!status) throw new Error(`ES2+ ${fn}: answer without functionExecutionStatus`);
    if (status.status !== 'Executed-Success' && status.status !== 'Executed-WithWarning') {
      throw new Es2Error(fn, status.status, status.statusCodeData);
    }
    return answer;
  }

  return {
    /** Reserves a profile of `profileType` (or the given ICCID); returns its ICCID. */
    async downloadOrder(input: {
      profileType: string;
      eid?: string;
      iccid?: string;
    }): Promise<{ iccid: string }> {
      const answer = await call('downloadOrder', {
        profileType: input.profileType,
        ...(input.eid ? { eid: input.eid } : {}),
        ...(input.iccid ? { iccid: iccidForEs2(input.iccid) } : {}),
      });
      const iccid = normalizeIccid(String(answer.iccid ?? ''));
      if (!iccid) throw new Error(`ES2+ downloadOrder: answer has no valid iccid (${String(answer.iccid)})`);
      return { iccid };
    },
    /** Confirms the order; with releaseFlag the profile is released for download at once. */
    async confirmOrder(input: { iccid: string; releaseFlag: boolean; eid?: string; matchingId?: string }) {
      const answer = await call('confirmOrder', {
        iccid: iccidForEs2(input.iccid),
        releaseFlag: input.releaseFlag,
        ...(input.eid ? { eid: input.eid } : {}),
        ...(input.matchingId ? { matchingId: input.matchingId } : {}),
      });
      return {
        matchingId: String(answer.matchingId ?? ''),
        smdpAddress: String(answer.smdpAddress ?? ''),
        eid: answer.eid as string | undefined,
      };
    },
    async cancelOrder(input: { iccid: string; finalProfileStatusIndicator: 'Available' | 'Unavailable' }) {
      await call('cancelOrder', {
        iccid: iccidForEs2(input.iccid),
        finalProfileStatusIndicator: input.finalProfileStatusIndicator,
      });
    },
    async releaseProfile(input: { iccid: string }) {
      await call('releaseProfile', { iccid: iccidForEs2(input.iccid) });
    },
    close: async () => {
      if (connection) await (await connection).dispatcher.close();
    },
  };
}

export type Es2Client = ReturnType<typeof createEs2Client>;
