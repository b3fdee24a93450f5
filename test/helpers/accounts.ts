import type { AppContext } from '../../src/context.js';
import { newId } from '../../src/core/ids.js';

/** An active subscriber written straight into the database (for service-level tests and benchmarks). */
export async function insertSubscriber(
  ctx: AppContext,
  email?: string,
): Promise<{ id: string; email: string }> {
  const id = newId('acc', ctx.clock.now().getTime());
  const address = email ?? `${id.toLowerCase()}@example.com`;
  const now = ctx.clock.now().toISOString();
  await ctx.database.db
    .insertInto('accounts')
    .values({
      id,
      email: address,
      phone: null,
      role: 'subscriber',
      status: 'active',
      locale: 'en',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, email: address };
}
