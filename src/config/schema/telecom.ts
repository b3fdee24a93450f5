import { Type } from 'typebox';

// The SM-DP+ (ES2+ client and the built-in emulator), the ES2+ listener, ICCIDs, numbers and lines.

export const TELECOM_ENV = {
  SMDP_URL: Type.Optional(
    Type.String({
      allowed: 'http(s) URL',
      description: 'ES2+ base URL of the SM-DP+ (unset: the built-in emulator)',
    }),
  ),
  SMDP_REQUESTER_ID: Type.String({
    default: 'esimdesk',
    description: 'ES2+ client: the requester identifier esimdesk sends to the SM-DP+',
  }),
  SMDP_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 100,
    maximum: 120_000,
    description: 'ES2+ client: how long (ms) a call to the SM-DP+ may take',
  }),
  SMDP_PROFILE_TYPE: Type.String({
    default: 'esimdesk-default',
    description: 'ES2+ client: the SM-DP+ profile type ordered for new eSIMs',
  }),
  SMDP_CALLER_ID: Type.Optional(
    Type.String({
      docDefault: '`esimdesk-smdp-emulator` with the emulator; required with `SMDP_URL`',
      allowed: '1–256 printable characters',
      description:
        'the `functionRequesterIdentifier` the SM-DP+ puts in its ES2+ notifications; any other is refused (ES2+ `Failed` 1.1/1.2)',
    }),
  ),
  SMDP_TLS_CERT: Type.Optional(
    Type.String({ description: 'mutual TLS with a real SM-DP+: PEM file of our client certificate' }),
  ),
  SMDP_TLS_KEY: Type.Optional(
    Type.String({ description: 'mutual TLS with a real SM-DP+: PEM file of our client key' }),
  ),
  SMDP_TLS_CA: Type.Optional(
    Type.String({ description: "mutual TLS with a real SM-DP+: PEM file of the SM-DP+'s CA" }),
  ),
  SMDP_EMULATOR_ADDRESS: Type.String({
    default: 'smdp.example.com',
    description: "the built-in emulator's address (put into activation codes)",
  }),
  SMDP_EMULATOR_INVENTORY: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 1_000_000,
    description: "the built-in emulator's profile count",
  }),
  SMDP_EMULATOR_PROFILE_TYPES: Type.Optional(
    Type.String({
      docDefault: '`SMDP_PROFILE_TYPE`',
      description:
        'comma list of the profile types the built-in emulator holds; it refuses others (8.2.5/3.9)',
    }),
  ),
  ES2_PORT: Type.Optional(
    Type.Integer({
      docDefault: '— (required in production with `SMDP_URL`)',
      minimum: 0,
      maximum: 65535,
      description:
        "port of the ES2+ listener, the only place the SM-DP+'s `handleDownloadProgressInfo` is served outside demo mode (binds `HOST`; must differ from `PORT`)",
    }),
  ),
  ES2_TLS_CERT: Type.Optional(
    Type.String({ description: 'the ES2+ listener: PEM file of its server certificate' }),
  ),
  ES2_TLS_KEY: Type.Optional(Type.String({ description: 'the ES2+ listener: PEM file of its server key' })),
  ES2_TLS_CLIENT_CA: Type.Optional(
    Type.String({
      description:
        "the ES2+ listener: PEM file of the CA whose client certificates it accepts (the SM-DP+'s); without a client certificate from that CA there is no TLS handshake",
    }),
  ),
  ES2_TRUSTED_PROXY_HEADER: Type.Optional(
    Type.String({
      docDefault: '— (off)',
      allowed: 'header name',
      description:
        'behind a proxy that terminates the mutual TLS: the header in which it names the verified client certificate (subject or fingerprint); believed only from `ES2_TRUSTED_PROXY_PEERS`',
    }),
  ),
  ES2_TRUSTED_PROXY_ALLOW: Type.Optional(
    Type.String({
      description:
        'with the header: `;`-separated certificate subjects or fingerprints (SHA-1 or SHA-256, any spelling) that count as the SM-DP+',
    }),
  ),
  ES2_TRUSTED_PROXY_PEERS: Type.Optional(
    Type.String({
      allowed: 'addresses, CIDRs',
      description:
        "with the header: comma list of the proxies' addresses or CIDRs; from any other peer the header is ignored",
    }),
  ),
  ICCID_PREFIX: Type.String({
    default: '8986099',
    pattern: '^89\\d{1,12}$',
    allowed: '89 followed by up to 12 digits',
    description: "the operator's ICCID range: its prefix",
  }),
  ICCID_LENGTH: Type.Integer({
    default: 20,
    minimum: 19,
    maximum: 20,
    description: "the operator's ICCID range: total length (Luhn digit computed)",
  }),
  NUMBER_PREFIX: Type.String({
    default: '+86170',
    pattern: '^\\+\\d{1,10}$',
    allowed: '+ and digits',
    description: 'the demo number range: its prefix',
  }),
  NUMBER_DIGITS: Type.Integer({
    default: 13,
    minimum: 8,
    maximum: 15,
    description: 'the demo number range: digits of a number (the prefix included, + not)',
  }),
  NUMBER_QUARANTINE_DAYS: Type.Integer({
    default: 90,
    minimum: 0,
    maximum: 3650,
    description: 'days a released number stays in quarantine before it is given out again',
  }),
  MAX_PROFILES_PER_LINE: Type.Integer({
    default: 3,
    minimum: 1,
    maximum: 20,
    description: 'devices (eSIM profiles) per line',
  }),
};
