import { Type } from 'typebox';

// The operator: brand, country, messaging channels, and the defaults of the admin's policies.

export const OPERATOR_ENV = {
  BRAND_NAME: Type.String({
    default: 'esimdesk',
    allowed: '1–60 characters',
    description: "the operator's brand shown to subscribers",
  }),
  BRAND_COLOR: Type.String({
    default: '#1864ab',
    allowed: '`#rrggbb`',
    description: 'theme colour of the installed web app (manifest)',
  }),
  BRAND_LOGO_URL: Type.String({
    default: '/favicon.svg',
    allowed: 'http(s) URL or /path',
    description: "square logo for the installed web app's icon: an http(s) URL or a path on this server",
  }),
  OPERATOR_COUNTRY: Type.String({
    default: 'CN',
    allowed: 'ISO 3166 alpha-2',
    description: 'ISO 3166 country whose public holidays count for business days',
  }),
  OPERATOR_TIME_ZONE: Type.Optional(
    Type.String({
      docDefault: 'from the country',
      allowed: 'IANA time zone',
      description: 'IANA time zone of the operator',
    }),
  ),
  SMTP_URL: Type.Optional(
    Type.String({
      allowed: 'smtp(s) URL',
      description: 'SMTP relay, e.g. `smtps://user:pass@relay.example.com:465` (unset: the dev mailbox)',
    }),
  ),
  SMTP_FROM: Type.Optional(
    Type.String({ docDefault: '`<brand> <no-reply@relay host>`', description: 'sender of emails' }),
  ),
  SMS_GATEWAY_URL: Type.Optional(
    Type.String({ allowed: 'http(s) URL', description: 'SMS gateway endpoint (unset: the dev mailbox)' }),
  ),
  SMS_GATEWAY_KEY: Type.Optional(Type.String({ description: 'bearer key for the SMS gateway' })),
  EXPORT_DIR: Type.String({
    default: './data/exports',
    description: 'where data-export archives are written',
  }),
  CANCELLATION_REVIEW_DAYS: Type.Integer({
    default: 3,
    minimum: 1,
    maximum: 3,
    description: 'review deadline of a cancellation request, in business days',
  }),
  CANCELLATION_AUTO_APPROVE: Type.Boolean({
    default: false,
    description: 'approve by the system a cancellation request whose checks all pass',
  }),
  RETENTION_DAYS: Type.Integer({
    default: 180,
    minimum: 1,
    maximum: 3650,
    description: 'days after deregistration before personal data is erased',
  }),
  USAGE_RETENTION_MONTHS: Type.Integer({
    default: 24,
    minimum: 3,
    maximum: 120,
    description:
      'whole months of usage records kept before the current one (the default of the `usageRetentionMonths` policy); older months are removed (PostgreSQL: their partitions dropped) and audited',
  }),
  ADJUSTMENT_APPROVAL_MINOR: Type.Integer({
    default: 5000,
    minimum: 0,
    maximum: 1_000_000_000,
    description:
      'goodwill credits (minor units) one agent may give one account in 24 hours, in sum; beyond it they wait for an admin',
  }),
};
