import Holidays from 'date-holidays';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import type { Config } from '../../config.js';
import { type Calendar, createCalendar } from '../../core/business-days.js';
import type { Caller } from '../../core/caller.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db, Executor } from '../../db/database.js';
import type { AuditService } from '../audit/audit.service.js';
import { policyRows, upsertPolicy } from './policies.store.js';

const COUNTRIES = new Set(Object.keys(new Holidays().getCountries() ?? {}));

/** 50 GiB: more than a day of a fast 5G session is not one plausible record. */
const USAGE_MAX_BYTES_PER_RECORD = 50 * 1024 ** 3;
/** 10,000.00 in the currency's minor units: a single record costing more is looked at by a person first. */
const USAGE_HOLD_ABOVE_MINOR = 1_000_000;
const EXPORTS_PER_DAY = 5;
const TICKETS_PER_DAY = 10;
/** Six requesting addresses at the per-address limit (5) in one window to hold back an owner's code. */
const SIGN_IN_CODES_PER_TARGET = 30;
const SIGN_IN_FAILURES_PER_DAY = 10;
const RECIPIENT_CHECKS_PER_HOUR = 20;

/** Twice the webhook replay window: a webhook still on its way has had time to arrive. */
const PAYMENT_RECONCILE_MINUTES = 10;

/** Every policy the product reads at run time, with the range an admin may set. */
export const PolicySchema = Type.Object({
  reviewDays: Type.Integer({
    minimum: 1,
    maximum: 3,
    description: 'Cancellation review deadline in business days',
  }),
  autoApprove: Type.Boolean({ description: 'Approve a cancellation whose automatic checks all pass' }),
  quarantineDays: Type.Integer({
    minimum: 0,
    maximum: 3650,
    description: 'Days a released number rests before reuse',
  }),
  retentionDays: Type.Integer({
    minimum: 1,
    maximum: 3650,
    description: 'Days after deregistration before personal data is erased',
  }),
  usageRetentionMonths: Type.Integer({
    minimum: 3,
    maximum: 120,
    description:
      'Whole months of usage records kept before the current one; older months are removed (audited) and older records refused',
  }),
  maxProfilesPerLine: Type.Integer({ minimum: 1, maximum: 20, description: 'Devices per line' }),
  topupMaxMinor: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Largest single top-up' }),
  topupDailyMaxMinor: Type.Integer({
    minimum: 1,
    maximum: 10_000_000_000,
    description: 'Top-ups per account per 24 hours',
  }),
  adjustmentApprovalMinor: Type.Integer({
    minimum: 0,
    maximum: 1_000_000_000,
    description:
      'Goodwill credits, write-offs and arrears waivers one agent may post on one account per 24 hours (in sum); above it they wait for an admin',
  }),
  usageMaxBytesPerRecord: Type.Integer({
    minimum: 1_048_576,
    maximum: 10_995_116_277_760,
    description: 'Largest data record (bytes) accepted from mediation; larger ones are rejected',
  }),
  usageHoldAboveMinor: Type.Integer({
    minimum: 1,
    maximum: 10_000_000_000,
    description: 'A usage record charging more than this is held for staff review instead of posted',
  }),
  exportsPerDay: Type.Integer({
    minimum: 1,
    maximum: 100,
    description: 'Data exports one subscriber may request per 24 hours (one runs at a time)',
  }),
  ticketsPerDay: Type.Integer({
    minimum: 1,
    maximum: 1000,
    description: 'Support tickets one subscriber may open per 24 hours',
  }),
  signInCodesPerTarget: Type.Integer({
    minimum: 10,
    maximum: 1000,
    description:
      'Sign-in codes one subscriber address may be sent per 15 minutes from all requesting addresses together (each requesting address gets 5); staff addresses have no such ceiling',
  }),
  signInFailuresPerDay: Type.Integer({
    minimum: 3,
    maximum: 1000,
    description:
      'Wrong codes per address in 24 hours (from one requesting address, and for a subscriber from all together) before a fresh code and a growing wait are needed',
  }),
  recipientChecksPerHour: Type.Integer({
    minimum: 1,
    maximum: 1000,
    description: 'Transfer-recipient checks one subscriber may make per hour',
  }),
  paymentReconcileMinutes: Type.Integer({
    minimum: 1,
    maximum: 1440,
    description:
      'Minutes a payment or refund may wait for its provider’s webhook; after that the provider is asked',
  }),
  operatorCountry: Type.String({
    pattern: '^[A-Z]{2}$',
    description: 'ISO 3166 country whose public holidays are not business days',
  }),
  operatorTimeZone: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'IANA time zone of the operator',
  }),
});
export type Policies = Static<typeof PolicySchema>;
export const PolicyPatch = Type.Partial(PolicySchema, { additionalProperties: false, minProperties: 1 });
export type PolicyPatch = Static<typeof PolicyPatch>;

/** How long a process trusts what it read before reading the table again (other processes may have changed it). */
const TTL_MS = 2_000;

/** The configuration's part of the policies: what is in force until an admin sets another value. */
export function defaultPolicies(
  config: Pick<
    Config,
    | 'cancellation'
    | 'lines'
    | 'retentionDays'
    | 'usageRetentionMonths'
    | 'wallet'
    | 'adjustmentApprovalMinor'
    | 'operatorCountry'
    | 'operatorTimeZone'
  >,
): Policies {
  return {
    reviewDays: config.cancellation.reviewDays,
    autoApprove: config.cancellation.autoApprove,
    quarantineDays: config.lines.quarantineDays,
    retentionDays: config.retentionDays,
    usageRetentionMonths: config.usageRetentionMonths,
    maxProfilesPerLine: config.lines.maxProfilesPerLine,
    topupMaxMinor: config.wallet.topupMaxMinor,
    topupDailyMaxMinor: config.wallet.topupDailyMaxMinor,
    adjustmentApprovalMinor: config.adjustmentApprovalMinor,
    usageMaxBytesPerRecord: USAGE_MAX_BYTES_PER_RECORD,
    usageHoldAboveMinor: USAGE_HOLD_ABOVE_MINOR,
    exportsPerDay: EXPORTS_PER_DAY,
    ticketsPerDay: TICKETS_PER_DAY,
    signInCodesPerTarget: SIGN_IN_CODES_PER_TARGET,
    signInFailuresPerDay: SIGN_IN_FAILURES_PER_DAY,
    recipientChecksPerHour: RECIPIENT_CHECKS_PER_HOUR,
    paymentReconcileMinutes: PAYMENT_RECONCILE_MINUTES,
    operatorCountry: config.operatorCountry,
    operatorTimeZone: config.operatorTimeZone,
  };
}

/**
 * Policies an admin changes without a restart: the configuration gives the defaults, the `policies`
 * table what admins set. Reads are cached for two seconds per process and dropped on every change made
 * here, so a change is seen at once by this process and within two seconds by the others.
 */
export function createPolicies(deps: {
  db: Db;
  clock: Clock;
  /** What the configuration says (defaultPolicies): in force until an admin sets another value. */
  defaults: Policies;
  audit: Pick<AuditService, 'record'>;
}) {
  const { db, clock, audit, defaults } = deps;
  let cached: { at: number; value: Policies } | null = null;
  const calendars = new Map<string, Calendar>();

  async function read(executor: Executor): Promise<Policies> {
    const rows = await policyRows(executor);
    const value: Record<string, unknown> = { ...defaults };
    for (const row of rows) if (row.key in defaults) value[row.key] = JSON.parse(row.value);
    return value as Policies;
  }

  /** The policies now. Inside a transaction pass it: on SQLite the transaction holds the only connection. */
  async function get(executor: Executor = db): Promise<Policies> {
    const now = clock.now().getTime();
    if (cached && now - cached.at < TTL_MS && now >= cached.at) return cached.value;
    const value = await read(executor);
    cached = { at: now, value };
    return value;
  }

  /** The business-day calendar of the operator's country and time zone as the policies say now. */
  async function calendar(executor: Executor = db): Promise<Calendar> {
    const { operatorCountry, operatorTimeZone } = await get(executor);
    const key = `${operatorCountry}/${operatorTimeZone}`;
    let found = calendars.get(key);
    if (!found) {
      found = createCalendar(operatorCountry, operatorTimeZone);
      calendars.set(key, found);
    }
    return found;
  }

  function validate(patch: PolicyPatch): void {
    if (!Value.Check(PolicyPatch, patch)) {
      const first = [...Value.Errors(PolicyPatch, patch)][0];
      throw new AppError(
        'VALIDATION_FAILED',
        { field: first?.instancePath.replace(/^\//, '') || 'body' },
        { reason: first?.message ?? 'invalid' },
      );
    }
    if (patch.operatorCountry !== undefined && !COUNTRIES.has(patch.operatorCountry))
      throw new AppError(
        'VALIDATION_FAILED',
        { field: 'operatorCountry' },
        { reason: 'no holiday calendar for it' },
      );
    if (patch.operatorTimeZone !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: patch.operatorTimeZone });
      } catch {
        throw new AppError(
          'VALIDATION_FAILED',
          { field: 'operatorTimeZone' },
          { reason: 'not an IANA time zone' },
        );
      }
    }
  }

  /** Changes some policies; audited with the values before and after. */
  async function update(patch: PolicyPatch, caller: Caller): Promise<Policies> {
    const { actor } = caller;
    validate(patch);
    const result = await db.transaction().execute(async (tx) => {
      const before = await read(tx);
      const now = clock.now().toISOString();
      for (const [key, value] of Object.entries(patch)) {
        await upsertPolicy(tx, { key, value: JSON.stringify(value), updatedBy: actor.id, at: now });
      }
      const after = { ...before, ...patch };
      const changed = Object.keys(patch).filter(
        (k) => before[k as keyof Policies] !== after[k as keyof Policies],
      ) as (keyof Policies)[];
      if (changed.length) {
        await audit.record(tx, {
          actor,
          action: 'policies.updated',
          subject: { type: 'policies', id: 'policies' },
          before: Object.fromEntries(changed.map((k) => [k, before[k]])),
          after: Object.fromEntries(changed.map((k) => [k, after[k]])),
          requestId: caller.requestId,
        });
      }
      return after;
    });
    cached = null;
    return result;
  }

  return { get, calendar, update, defaults };
}

export type PolicyService = ReturnType<typeof createPolicies>;
