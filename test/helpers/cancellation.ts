import type { TestApp } from './app.js';
import { api, newKey, type Session } from './session.js';

/**
 * `session` takes its refundable balance back, unbinds its devices (the two blockers a subscriber with
 * a line clears first) and applies to close with `reason`; returns the request's id once the runner
 * has run its checks. Throws when the application is refused: the tests that call this start from it.
 */
export async function applyToClose(
  t: TestApp,
  session: Session,
  reason: { reasonCode: string; reason: string },
): Promise<string> {
  const refundable = (await api(t, 'GET', '/api/v1/me/refunds/refundable', { headers: session.headers })).body
    .refundable.amount;
  await api(t, 'POST', '/api/v1/me/refunds', {
    body: { amount: refundable },
    headers: { ...session.headers, 'idempotency-key': newKey() },
  });
  for (const d of (await api(t, 'GET', '/api/v1/me/devices', { headers: session.headers })).body.items)
    await api(t, 'DELETE', `/api/v1/me/devices/${d.id}`, { headers: session.headers });
  await t.ctx.runner.drain();
  const submitted = await api(t, 'POST', '/api/v1/me/cancellation', {
    body: reason,
    headers: session.headers,
  });
  if (submitted.status !== 201) throw new Error(`cancellation refused: ${JSON.stringify(submitted.body)}`);
  await t.ctx.runner.drain();
  return submitted.body.id;
}
