import type { TestApp } from './app.js';
import { deviceEid } from './devices.js';
import { api, newKey, type Session, signIn, topUp } from './session.js';

let device = 1000;

/**
 * A subscriber with money and an active line on `planCode` (bought, ordered, installed on a simulated
 * device: simulated device number `device`, or the next unused one).
 */
export async function activeLine(
  t: TestApp,
  email: string,
  options: { planCode?: string; topUp?: number; locale?: string; device?: number } = {},
) {
  const session: Session = await signIn(t, email, options.locale ? { locale: options.locale } : {});
  await topUp(t, session, options.topUp ?? 10_000);
  const plans = (await api(t, 'GET', '/api/v1/plans')).body.items as Array<{ id: string; code: string }>;
  const plan = plans.find((p) => p.code === (options.planCode ?? 'jp-5gb-7d'))!;
  const lineId = (
    await api(t, 'POST', '/api/v1/me/lines', {
      body: { planId: plan.id },
      headers: { ...session.headers, 'idempotency-key': newKey() },
    })
  ).body.id;
  const line = await orderedLine(t, session, lineId);
  const download = await api(
    t,
    'POST',
    `/emulator/smdp/devices/${deviceEid(options.device ?? ++device)}/download`,
    {
      body: { activationCode: line.esim.activationCode },
    },
  );
  if (download.status !== 200) throw new Error(`simulated download failed: ${JSON.stringify(download.body)}`);
  return { session, lineId, iccid: line.esim.iccid as string };
}

/**
 * The line once its eSIM is ordered (an activation code to install). Draining the runner is not
 * enough when a runner of the app already runs in the background: it may hold the order job, and
 * drain then finds nothing due while the order is still on its way.
 */
async function orderedLine(t: TestApp, session: Session, lineId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await t.ctx.runner.drain();
    const line = (await api(t, 'GET', `/api/v1/me/lines/${lineId}`, { headers: session.headers })).body;
    if (line.esim?.activationCode) return line;
    if (Date.now() > deadline) throw new Error(`line ${lineId} was not ordered within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
