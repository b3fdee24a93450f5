import { afterAll, beforeAll, expect, it } from 'vitest';
import { maskedParty } from '../src/modules/wallet/statement-words.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { activeLine } from './helpers/lines.js';
import { api, newKey, signIn } from './helpers/session.js';

it('masks a mainland number as people write it, and anything else as the sign-in page does', () => {
  expect(maskedParty({ email: null, phone: '+8613800000001' })).toBe('138****0001');
  expect(maskedParty({ email: 'ana@example.com', phone: null })).toBe('a***@example.com');
  expect(maskedParty({ email: null, phone: '+447700900001' })).toBe('+44******0001');
  expect(maskedParty({ email: null, phone: null })).toBeNull();
});

describeEachDialect('statement lines say what and whom', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { CURRENCY: 'CNY', OPERATOR_COUNTRY: 'CN' } });
    await t.ctx.catalog.seedDemo();
  });
  afterAll(() => t.close());

  const statement = async (headers: Record<string, string>) =>
    (await api(t, 'GET', '/api/v1/me/ledger', { headers })).body.items as Array<Record<string, unknown>>;

  it('names the other side of a transfer (masked) and the plan a purchase bought, in the reader’s language', async () => {
    const { session: ana } = await activeLine(t, 'ana@example.com');
    const { session: mei } = await activeLine(t, 'mei@example.com', { locale: 'zh-CN' });
    const phone = await signIn(t, '+8613800000001');
    const sent = await api(t, 'POST', '/api/v1/me/transfers', {
      body: { to: '+8613800000001', amount: 100 },
      headers: { ...ana.headers, 'idempotency-key': newKey() },
    });
    expect(sent.status).toBeLessThan(300);

    const anas = await statement(ana.headers);
    expect(anas.find((l) => l.kind === 'transfer_out')).toMatchObject({
      counterparty: '138****0001',
      item: null,
    });
    expect(anas.find((l) => l.kind === 'purchase')).toMatchObject({
      item: 'Japan 5 GB · 7 days',
      counterparty: null,
    });
    expect(anas.find((l) => l.kind === 'topup')).not.toHaveProperty('counterparty');

    expect((await statement(phone.headers)).find((l) => l.kind === 'transfer_in')).toMatchObject({
      counterparty: 'a***@example.com',
    });
    expect((await statement(mei.headers)).find((l) => l.kind === 'purchase')).toMatchObject({
      item: '日本 5GB · 7天',
    });
  });
});
