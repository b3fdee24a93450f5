import type { TestApp } from './app.js';

export interface Session {
  token: string;
  account: {
    id: string;
    role: string;
    locale: string;
    status: string;
    email: string | null;
    phone: string | null;
  };
  headers: Record<string, string>;
}

export async function api(
  t: TestApp,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json');
  return { status: res.status, headers: res.headers, body: text && json ? JSON.parse(text) : text || null };
}

/** Reads the newest sign-in code sent to `to` from the dev mailbox (delivering queued messages first). */
export async function latestCode(t: TestApp, to: string): Promise<string> {
  await t.ctx.runner.drain();
  const { body } = await api(t, 'GET', `/api/v1/dev/messages?to=${encodeURIComponent(to)}`);
  // The newest message holding a code: other messages to the address may be delivered in the same batch.
  const texts: string[] = body.items.map((m: { text: string }) => m.text);
  const code = texts.map((text) => /\b(\d{6})\b/.exec(text)?.[1]).find(Boolean);
  if (!code) throw new Error(`no code in the dev mailbox for ${to}`);
  return code;
}

/** Signs in through the real one-time-code flow and returns a bearer session. */
export async function signIn(
  t: TestApp,
  to: string,
  options: { locale?: string; headers?: Record<string, string> } = {},
): Promise<Session> {
  const channel = to.includes('@') ? 'email' : 'sms';
  const sent = await api(t, 'POST', '/api/v1/auth/codes', {
    body: { channel, to },
    headers: options.headers,
  });
  if (sent.status !== 202) throw new Error(`code request failed: ${JSON.stringify(sent.body)}`);
  const code = await latestCode(t, to);
  const created = await api(t, 'POST', '/api/v1/auth/sessions', {
    body: { challengeId: sent.body.challengeId, code, ...(options.locale ? { locale: options.locale } : {}) },
    headers: options.headers,
  });
  if (created.status !== 201) throw new Error(`sign-in failed: ${JSON.stringify(created.body)}`);
  return { ...created.body, headers: { authorization: `Bearer ${created.body.token}` } };
}

/** A staff member created the way the CLI does, signed in through the code flow. */
export async function signInStaff(
  t: TestApp,
  email: string,
  role: 'agent' | 'reviewer' | 'admin',
): Promise<Session> {
  await t.ctx.identity.addStaff({ email, role }, { actor: { type: 'system', id: 'test' } });
  return signIn(t, email);
}

let keySeq = 0;
/** A fresh Idempotency-Key. */
export const newKey = () => `test-key-${process.pid}-${Date.now()}-${++keySeq}`;

/** Tops up through the API (test provider settles at once) and returns the answer. */
export async function topUp(t: TestApp, session: Session, amount: number, key = newKey()) {
  return api(t, 'POST', '/api/v1/me/topups', {
    body: { amount: { amount, currency: t.ctx.config.currency } },
    headers: { ...session.headers, 'idempotency-key': key },
  });
}

export async function balanceOf(t: TestApp, session: Session): Promise<number> {
  return (await api(t, 'GET', '/api/v1/me/balance', { headers: session.headers })).body.amount;
}
