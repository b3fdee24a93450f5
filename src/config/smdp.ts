import { ConfigError } from './env.js';
import type { EnvValues } from './env.schema.js';
import type { Config, Es2Config, Mode } from './types.js';
import { isAddressOrCidr, list } from './values.js';

/** Mutual TLS to a real SM-DP+: both our certificate and key, or neither. */
export function smdpTls(v: EnvValues): Config['smdp']['tls'] {
  const certFile = v.SMDP_TLS_CERT;
  const keyFile = v.SMDP_TLS_KEY;
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile)
    throw new ConfigError(
      certFile ? 'SMDP_TLS_KEY' : 'SMDP_TLS_CERT',
      'mutual TLS needs both SMDP_TLS_CERT and SMDP_TLS_KEY',
    );
  return { certFile, keyFile, caFile: v.SMDP_TLS_CA || null };
}

const ES2_TLS_VARIABLES = ['ES2_TLS_CERT', 'ES2_TLS_KEY', 'ES2_TLS_CLIENT_CA'] as const;

export function es2Setting(v: EnvValues, mode: Mode, publicPort: number): Es2Config {
  const given = ES2_TLS_VARIABLES.filter((name) => v[name]);
  if (given.length > 0 && given.length < ES2_TLS_VARIABLES.length) {
    const missing = ES2_TLS_VARIABLES.find((name) => !v[name])!;
    throw new ConfigError(missing, 'the ES2+ listener needs ES2_TLS_CERT, ES2_TLS_KEY and ES2_TLS_CLIENT_CA');
  }
  const tls = given.length
    ? { certFile: v.ES2_TLS_CERT!, keyFile: v.ES2_TLS_KEY!, clientCaFile: v.ES2_TLS_CLIENT_CA! }
    : null;
  const trustedProxy = es2TrustedProxy(v);
  const port = v.ES2_PORT;
  if (port === undefined) {
    const orphan = given[0] ?? (trustedProxy ? 'ES2_TRUSTED_PROXY_HEADER' : null);
    if (orphan) throw new ConfigError(orphan, 'needs ES2_PORT (the ES2+ listener)');
    if (mode === 'production' && v.SMDP_URL) {
      throw new ConfigError(
        'ES2_PORT',
        "production with a real SM-DP+ needs the ES2+ listener: the SM-DP+'s notifications are served only there (set ES2_PORT with ES2_TLS_CERT, ES2_TLS_KEY, ES2_TLS_CLIENT_CA, or ES2_TRUSTED_PROXY_HEADER)",
      );
    }
    return { listener: null, trustedProxy: null };
  }
  if (port !== 0 && port === publicPort) throw new ConfigError('ES2_PORT', 'must differ from PORT');
  if (!tls && !trustedProxy) {
    throw new ConfigError(
      'ES2_TLS_CERT',
      'the ES2+ listener needs mutual TLS (ES2_TLS_CERT, ES2_TLS_KEY, ES2_TLS_CLIENT_CA) or a proxy that terminates it (ES2_TRUSTED_PROXY_HEADER)',
    );
  }
  return { listener: { port, tls }, trustedProxy };
}

function es2TrustedProxy(v: EnvValues): Es2Config['trustedProxy'] {
  const header = v.ES2_TRUSTED_PROXY_HEADER?.trim().toLowerCase();
  if (!header) {
    const stray = v.ES2_TRUSTED_PROXY_ALLOW
      ? 'ES2_TRUSTED_PROXY_ALLOW'
      : v.ES2_TRUSTED_PROXY_PEERS
        ? 'ES2_TRUSTED_PROXY_PEERS'
        : null;
    if (stray) throw new ConfigError(stray, 'needs ES2_TRUSTED_PROXY_HEADER');
    return null;
  }
  if (
    !/^[a-z0-9][a-z0-9-]{0,63}$/.test(header) ||
    ['host', 'x-forwarded-for', 'content-type'].includes(header)
  )
    throw new ConfigError('ES2_TRUSTED_PROXY_HEADER', `must be a header name, got "${header}"`);
  const allow = list(v.ES2_TRUSTED_PROXY_ALLOW, ';');
  if (allow.length === 0 || allow.some((entry) => entry.length > 512))
    throw new ConfigError(
      'ES2_TRUSTED_PROXY_ALLOW',
      'must name the SM-DP+ certificate subjects or fingerprints the proxy may vouch for (separated by ;)',
    );
  const peers = list(v.ES2_TRUSTED_PROXY_PEERS, ',');
  if (peers.length === 0)
    throw new ConfigError('ES2_TRUSTED_PROXY_PEERS', 'must name the proxy addresses or CIDRs');
  const bad = peers.find((peer) => !isAddressOrCidr(peer));
  if (bad !== undefined)
    throw new ConfigError('ES2_TRUSTED_PROXY_PEERS', `"${bad}" is not an address or a CIDR`);
  return { header, allow, peers };
}

const EMULATOR_CALLER_ID = 'esimdesk-smdp-emulator';

export function smdpCallerId(v: EnvValues): string {
  const raw = v.SMDP_CALLER_ID?.trim();
  if (!raw) {
    if (v.SMDP_URL)
      throw new ConfigError(
        'SMDP_CALLER_ID',
        "is required with SMDP_URL: the SM-DP+'s functionRequesterIdentifier, agreed with it",
      );
    return EMULATOR_CALLER_ID;
  }
  if (raw.length > 256 || !/^[\x21-\x7e]+$/.test(raw))
    throw new ConfigError('SMDP_CALLER_ID', 'must be 1 to 256 printable characters without spaces');
  return raw;
}

export function emulatorProfileTypes(v: EnvValues): string[] {
  const profileType = v.SMDP_PROFILE_TYPE;
  const types = v.SMDP_EMULATOR_PROFILE_TYPES ? list(v.SMDP_EMULATOR_PROFILE_TYPES, ',') : [profileType];
  if (types.length === 0 || types.length > 100 || types.some((t) => t.length > 64))
    throw new ConfigError(
      'SMDP_EMULATOR_PROFILE_TYPES',
      'must be 1 to 100 profile types of up to 64 characters',
    );
  if (!v.SMDP_URL && !types.includes(profileType))
    throw new ConfigError(
      'SMDP_EMULATOR_PROFILE_TYPES',
      `must include the profile type esimdesk orders (SMDP_PROFILE_TYPE=${profileType})`,
    );
  return types;
}
