import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccountStatus } from '../src/db/schema.js';
import { ACCOUNT_TRANSITIONS } from '../src/modules/identity/identity.service.js';
import { insertSubscriber } from './helpers/accounts.js';
import { createTestContext, type TestContext } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';

const STATUSES: AccountStatus[] = ['active', 'suspended', 'cancellation_pending', 'deregistered'];

describeEachDialect('account status: one writer, one diagram', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A subscriber put straight into `status` (as a fixture), then asked to move to `to`. */
  async function attempt(status: AccountStatus, to: AccountStatus) {
    const { id } = await insertSubscriber(t.ctx);
    await t.ctx.database.db.updateTable('accounts').set({ status }).where('id', '=', id).execute();
    const outcome = await t.ctx.database.db
      .transaction()
      .execute((tx) => t.ctx.identity.changeStatus(tx, id, to))
      .then(
        () => 'changed',
        (error: { code?: string; details?: { status?: string } }) => `${error.code}:${error.details?.status}`,
      );
    const row = await t.ctx.database.db
      .selectFrom('accounts')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { outcome, now: row.status };
  }

  it('allows exactly the changes of the diagram and refuses every other one, changing nothing', async () => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        if (from === to) continue;
        const { outcome, now } = await attempt(from, to);
        if (ACCOUNT_TRANSITIONS[from].includes(to)) {
          expect(outcome, `${from} → ${to}`).toBe('changed');
          expect(now).toBe(to);
        } else {
          expect(outcome, `${from} → ${to}`).toBe(`INVALID_TRANSITION:${from}`);
          expect(now).toBe(from);
        }
      }
    }
    // A deregistered account never comes back.
    expect(ACCOUNT_TRANSITIONS.deregistered).toEqual([]);
  });

  it('lets only one of two racing changes from the same status apply', async () => {
    const { id } = await insertSubscriber(t.ctx);
    const change = (to: AccountStatus) =>
      t.ctx.database.db
        .transaction()
        .execute((tx) => t.ctx.identity.changeStatus(tx, id, to))
        .then(
          () => 'ok',
          () => 'refused',
        );
    const results = await Promise.all([change('suspended'), change('cancellation_pending')]);
    expect(results.sort()).toEqual(['ok', 'refused']);
  });
});
