import { Type } from 'typebox';
import { Nullable } from '../../core/schemas.js';
import { AccountStatusSchema, CancellationStatusSchema, TicketStatusSchema } from '../../core/statuses.js';
import { AuditEntrySchema } from '../audit/audit.schemas.js';
import { RecordedChecks } from '../cancellation/cancellation.schemas.js';
import { Device, Line } from '../lines/lines.schemas.js';
import { STATEMENT_KINDS } from '../wallet/statement.service.js';

export { IdParams as Id, Nullable } from '../../core/schemas.js';

export const Adjustment = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  kind: Type.Enum(['goodwill', 'write_off', 'arrears_waiver'], {
    description:
      'goodwill credits the balance; write_off debits it; arrears_waiver cancels what a closing account owes',
  }),
  amount: Type.Ref('Money'),
  reason: Type.String(),
  status: Type.Enum(['pending_approval', 'posted', 'rejected']),
  requestedBy: Type.String(),
  decidedBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  decidedAt: Nullable(Type.String({ format: 'date-time' })),
});

export const StaffMember = Type.Object({
  id: Type.String(),
  email: Nullable(Type.String()),
  role: Type.Enum(['agent', 'reviewer', 'admin']),
  locale: Type.String(),
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const Job = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  runAt: Type.String({ format: 'date-time' }),
  lastError: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});

export const Spread = Type.Object({
  median: Nullable(Type.Number()),
  p90: Nullable(Type.Number()),
  max: Nullable(Type.Number()),
});

export const CancellationLevels = Type.Object({
  openNow: Type.Integer(),
  overdueNow: Type.Integer(),
  weeks: Type.Array(
    Type.Object({
      week: Type.String({ description: 'Monday (UTC) of the ISO week of submission' }),
      submitted: Type.Integer(),
      decided: Type.Integer(),
      hoursToDecision: Spread,
      outcomes: Type.Object({
        approved: Type.Integer(),
        infoRequested: Type.Integer(),
        rejected: Type.Integer(),
        withdrawn: Type.Integer(),
      }),
    }),
  ),
});

export const TicketLevels = Type.Object({
  openNow: Type.Integer(),
  waitingOnSupportNow: Type.Integer(),
  unansweredNow: Type.Integer(),
  weeks: Type.Array(
    Type.Object({
      week: Type.String(),
      opened: Type.Integer(),
      answered: Type.Integer(),
      hoursToFirstResponse: Spread,
    }),
  ),
});

const Money = Type.Ref('Money');
const DateTime = Type.String({ format: 'date-time' });

// The customer 360, closed: each part names its fields, so the serializer sends only these.

const StatementLine360 = Type.Object({
  id: Type.String(),
  kind: Type.Enum(STATEMENT_KINDS),
  amount: Money,
  balanceAfter: Money,
  reference: Nullable(Type.String()),
  counterparty: Type.Optional(Nullable(Type.String({ description: 'The other side of a transfer, masked' }))),
  item: Type.Optional(
    Nullable(
      Type.String({ description: "What a purchase bought (plan or add-on), in the reader's language" }),
    ),
  ),
  createdAt: DateTime,
});

const Usage360 = Type.Object({
  since: DateTime,
  dataBytes: Type.Integer(),
  voiceSeconds: Type.Integer(),
  smsCount: Type.Integer(),
  charged: Money,
});

const Request360 = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  status: CancellationStatusSchema,
  reasonCode: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  submittedAt: DateTime,
  dueBy: DateTime,
  overdue: Type.Boolean(),
  checks: RecordedChecks,
  version: Type.Integer(),
  events: Type.Array(
    Type.Object({
      status: CancellationStatusSchema,
      at: DateTime,
      note: Nullable(Type.String()),
      actor: Type.String(),
    }),
  ),
});

const Ticket360 = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  subject: Type.String(),
  category: Type.String(),
  status: TicketStatusSchema,
  related: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
  assigneeId: Nullable(Type.String()),
  firstResponseAt: Nullable(DateTime),
  lastMessageAt: DateTime,
  createdAt: DateTime,
  closedAt: Nullable(DateTime),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      author: Type.Enum(['subscriber', 'staff', 'system']),
      authorName: Nullable(Type.String()),
      body: Type.String(),
      internal: Type.Boolean(),
      createdAt: DateTime,
    }),
  ),
});

const Message360 = Type.Object({
  id: Type.String(),
  channel: Type.Enum(['email', 'sms']),
  to: Type.String(),
  template: Type.String(),
  subject: Nullable(Type.String()),
  status: Type.Enum(['queued', 'sent', 'failed', 'dead']),
  createdAt: DateTime,
});

export const Customer360 = Type.Object({
  id: Type.String(),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  status: AccountStatusSchema,
  locale: Type.String(),
  role: Type.String({ description: 'Always subscriber (staff accounts have no customer 360)' }),
  createdAt: DateTime,
  erasedAt: Nullable(DateTime),
  balance: Money,
  arrears: Money,
  statement: Type.Array(StatementLine360, { description: 'The latest 20 movements of the wallet' }),
  lines: Type.Array(Line),
  devices: Type.Array(Device),
  usage: Usage360,
  requests: Type.Array(Request360, { description: 'Requests to close the account, newest first' }),
  tickets: Type.Array(Ticket360),
  audit: Type.Array(AuditEntrySchema, { description: 'The latest 50 entries about the account' }),
  messages: Type.Array(Message360, { description: 'The latest 20 notifications (without their text)' }),
  adjustments: Type.Array(Adjustment),
});
