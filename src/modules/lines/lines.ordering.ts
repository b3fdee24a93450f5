import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../../db/database.js';
import type { EsimsTable, LinesTable } from '../../db/schema.js';
import type { Jobs } from '../../runner/jobs.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { PolicyService } from '../policies/policies.service.js';
import type { WalletService } from '../wallet/wallet.service.js';
import type { LinesJobs } from './lines.jobs.js';
import { type LineQueries, presentEsim } from './lines.present.js';
import type { NumberPool } from './numbers.js';
import { accountStatus } from './stores/accounts.store.js';
import { countEsimsInStates, insertEsim } from './stores/esims.store.js';
import { insertLine, ownLine } from './stores/lines.store.js';

/** Profiles that still count towards the per-line limit. */
const LIVE_STATES = ['ordering', 'allocated', 'released', 'downloaded', 'installed'] as const;

/** Buying a line and ordering its profiles; the runner places the orders (lines.provisioning.ts). */
export function createLineOrdering(deps: {
  db: Db;
  clock: Clock;
  jobs: Pick<Jobs, 'enqueue'>;
  linesJobs: Pick<LinesJobs, 'orderJob'>;
  audit: Pick<AuditService, 'record'>;
  wallet: Pick<WalletService, 'charge'>;
  catalog: Pick<CatalogService, 'get'>;
  numbers: Pick<NumberPool, 'assign'>;
  policies: Pick<PolicyService, 'get'>;
  queries: Pick<LineQueries, 'presentLine'>;
}) {
  const { db, clock, audit } = deps;
  const { orderJob } = deps.linesJobs;
  const { presentLine } = deps.queries;
  const now = () => clock.now().toISOString();

  async function newEsim(
    tx: Executor,
    line: { id: string; account_id: string },
    replaces: string | null = null,
  ) {
    const esim: EsimsTable = {
      id: newId('esm', clock.now().getTime()),
      line_id: line.id,
      account_id: line.account_id,
      iccid: null,
      state: 'ordering',
      matching_id: null,
      activation_code: null,
      eid: null,
      failure: null,
      replaces_esim_id: replaces,
      created_at: now(),
      updated_at: now(),
    };
    await insertEsim(tx, esim);
    await deps.jobs.enqueue(tx, orderJob, { esimId: esim.id }, { idempotencyKey: `order:${esim.id}` });
    return esim;
  }

  /** Buys a line: the price leaves the wallet, a number is assigned and the eSIM is ordered by the runner. */
  async function buy(accountId: string, planId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const status = await accountStatus(tx, accountId);
      if (status !== 'active') throw new AppError('ACCOUNT_NOT_ACTIVE', { status });
      const plan = await deps.catalog.get(tx, planId, 'en');
      if (plan.status !== 'active') throw new AppError('PLAN_RETIRED', { field: 'planId' });
      const lineId = newId('lin', clock.now().getTime());
      await deps.wallet.charge(tx, accountId, plan.price.amount, { type: 'line', id: lineId });
      const msisdn = await deps.numbers.assign(tx, lineId);
      const line: LinesTable = {
        id: lineId,
        account_id: accountId,
        plan_id: planId,
        msisdn,
        status: 'pending',
        price: plan.price.amount,
        currency: plan.price.currency,
        data_bytes_left: null,
        voice_seconds_left: null,
        sms_left: null,
        activated_at: null,
        expires_at: null,
        created_at: now(),
        updated_at: now(),
      };
      await insertLine(tx, line);
      await newEsim(tx, line);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'line.purchased',
        subject: { type: 'line', id: lineId },
        accountId,
        after: { planId, msisdn, price: plan.price },
        requestId: caller.requestId,
      });
      const body = await presentLine(tx, line, caller.locale);
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  /** One more profile on the same line and number, for one more device (R7). */
  async function addEsim(accountId: string, lineId: string, caller: Caller) {
    return db.transaction().execute(async (tx) => {
      const line = await ownLine(tx, accountId, lineId);
      if (line.status !== 'active' && line.status !== 'pending')
        throw new AppError('LINE_NOT_ACTIVE', { status: line.status });
      const live = await countEsimsInStates(tx, lineId, LIVE_STATES);
      const max = (await deps.policies.get(tx)).maxProfilesPerLine;
      if (live >= max) throw new AppError('DEVICE_LIMIT_REACHED', { max }, { max });
      const esim = await newEsim(tx, line);
      await audit.record(tx, {
        actor: caller.actor,
        action: 'esim.ordered',
        subject: { type: 'esim', id: esim.id },
        accountId,
        after: { lineId },
        requestId: caller.requestId,
      });
      const body = presentEsim(esim);
      await caller.idempotency?.(tx, body);
      return body;
    });
  }

  return { newEsim, buy, addEsim };
}

export type LineOrdering = ReturnType<typeof createLineOrdering>;
