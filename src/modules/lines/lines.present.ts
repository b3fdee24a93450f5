import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db, Executor } from '../../db/database.js';
import type { DevicesTable, EsimsTable, LinesTable } from '../../db/schema.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { boundDevicesOfAccount } from './stores/devices.store.js';
import { activationCodeOf, esimsOfLine } from './stores/esims.store.js';
import { addonAllowances } from './stores/extras.store.js';
import { effectiveStatus, linesOfAccount, ownLine } from './stores/lines.store.js';

export function presentEsim(e: EsimsTable) {
  return {
    id: e.id,
    // Chosen before the SM-DP+ has reserved it: not the subscriber's profile yet.
    iccid: e.state === 'ordering' ? null : e.iccid,
    activationCode: e.activation_code,
    state: e.state,
    eid: e.eid,
    createdAt: e.created_at,
  };
}

export function presentDevice(d: DevicesTable, iccid: string | null) {
  return { id: d.id, eid: d.eid, name: d.name, lineId: d.line_id, iccid, boundAt: d.bound_at };
}

/** What subscribers and staff read of their lines, profiles and devices. */
export function createLineQueries(deps: { db: Db; clock: Clock; catalog: Pick<CatalogService, 'get'> }) {
  const { db, clock } = deps;

  async function presentLine(executor: Executor, line: LinesTable, locale = 'en') {
    const esims = await esimsOfLine(executor, line.id);
    const plan = await deps.catalog.get(executor, line.plan_id, locale === 'zh-CN' ? 'zh-CN' : 'en');
    const current = esims.filter((e) => e.state !== 'failed').at(0) ?? esims.at(0)!;
    // What the current allowances were made of: the plan plus the add-ons bought for it.
    const extra = await addonAllowances(executor, line);
    return {
      id: line.id,
      status: effectiveStatus(line, clock.now()),
      msisdn: line.msisdn,
      planId: line.plan_id,
      planName: plan.name,
      price: { amount: Number(line.price), currency: line.currency },
      esim: presentEsim(current),
      esims: esims.map(presentEsim),
      allowances: {
        dataBytes: line.data_bytes_left === null ? null : Number(line.data_bytes_left),
        voiceSeconds: line.voice_seconds_left === null ? null : Number(line.voice_seconds_left),
        sms: line.sms_left,
        total: {
          dataBytes: (plan.dataMb + extra.dataMb) * 1024 * 1024,
          voiceSeconds: (plan.voiceMinutes + extra.voiceMinutes) * 60,
          sms: plan.sms + extra.sms,
        },
      },
      activatedAt: line.activated_at,
      expiresAt: line.expires_at,
      createdAt: line.created_at,
    };
  }

  async function list(accountId: string, locale: string) {
    const lines = await linesOfAccount(db, accountId);
    return Promise.all(lines.map((l) => presentLine(db, l, locale)));
  }

  async function get(accountId: string, lineId: string, locale: string) {
    return presentLine(db, await ownLine(db, accountId, lineId), locale);
  }

  async function devices(accountId: string) {
    const rows = await boundDevicesOfAccount(db, accountId);
    return rows.map((r) => presentDevice(r, r.iccid));
  }

  /** The activation code of one of the subscriber's profiles (for the QR code). */
  async function activationCode(accountId: string, esimId: string): Promise<string> {
    const esim = await activationCodeOf(db, accountId, esimId);
    if (!esim?.activation_code) throw new AppError('NOT_FOUND', { field: 'id' });
    return esim.activation_code;
  }

  return { presentLine, list, get, devices, activationCode };
}

export type LineQueries = ReturnType<typeof createLineQueries>;
