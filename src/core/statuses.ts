import { Type } from 'typebox';
import type { AccountStatus, CancellationStatus, EsimState, LineStatus, TicketStatus } from '../db/schema.js';

// The states of what the API shows, once each, for response schemas that name them (the database
// types are the source: a state added there and not here fails to compile).

export const ACCOUNT_STATUSES = [
  'active',
  'suspended',
  'cancellation_pending',
  'deregistered',
] as const satisfies readonly AccountStatus[];

export const LINE_STATUSES = [
  'pending',
  'active',
  'expired',
  'failed',
  'suspended',
  'terminated',
] as const satisfies readonly LineStatus[];

export const ESIM_STATES = [
  'ordering',
  'allocated',
  'released',
  'downloaded',
  'installed',
  'disabling',
  'unusable',
  'failed',
] as const satisfies readonly EsimState[];

export const CANCELLATION_STATUSES = [
  'submitted',
  'in_review',
  'info_requested',
  'approved',
  'completed',
  'rejected',
  'withdrawn',
] as const satisfies readonly CancellationStatus[];

export const TICKET_STATUSES = [
  'open',
  'waiting_on_customer',
  'closed',
] as const satisfies readonly TicketStatus[];

type Exhaustive<All extends string, Listed extends readonly string[]> = [All] extends [Listed[number]]
  ? true
  : never;
const exhaustive: [
  Exhaustive<AccountStatus, typeof ACCOUNT_STATUSES>,
  Exhaustive<LineStatus, typeof LINE_STATUSES>,
  Exhaustive<EsimState, typeof ESIM_STATES>,
  Exhaustive<CancellationStatus, typeof CANCELLATION_STATUSES>,
  Exhaustive<TicketStatus, typeof TICKET_STATUSES>,
] = [true, true, true, true, true];
void exhaustive;

export const AccountStatusSchema = Type.Enum(ACCOUNT_STATUSES);
export const LineStatusSchema = Type.Enum(LINE_STATUSES);
export const EsimStateSchema = Type.Enum(ESIM_STATES);
export const CancellationStatusSchema = Type.Enum(CANCELLATION_STATUSES);
export const TicketStatusSchema = Type.Enum(TICKET_STATUSES, {
  description: 'open: waiting on support; waiting_on_customer: support answered',
});
