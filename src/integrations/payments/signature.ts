import { createHmac, timingSafeEqual } from 'node:crypto';

/** Webhook signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody">`. */
export const SIGNATURE_HEADER = 'x-payment-signature';
export const REPLAY_WINDOW_SECONDS = 300;

export function signPayload(secret: string, rawBody: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export type SignatureCheck = 'ok' | 'invalid' | 'expired';

/** Checks the HMAC in constant time and that the timestamp is within the replay window of `now`. */
export function verifyPayload(
  secret: string,
  rawBody: string,
  header: string | undefined,
  now: Date,
): SignatureCheck {
  if (!header) return 'invalid';
  const parts = Object.fromEntries(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    }),
  );
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return 'invalid';
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex'),
    'hex',
  );
  if (!timingSafeEqual(expected, Buffer.from(parts.v1!, 'hex'))) return 'invalid';
  if (Math.abs(now.getTime() / 1000 - timestamp) > REPLAY_WINDOW_SECONDS) return 'expired';
  return 'ok';
}
