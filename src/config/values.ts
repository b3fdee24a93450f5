import { isIP } from 'node:net';
import { ConfigError } from './env.js';

/** The non-empty entries of a separated list, trimmed. */
export function list(raw: string | undefined, separator: string): string[] {
  return (raw ?? '')
    .split(separator)
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** `raw` when it is a URL with one of `schemes`, null when unset; else a ConfigError naming `name`. */
export function urlSetting(name: string, raw: string | undefined, schemes: string[]): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (!schemes.includes(url.protocol.replace(/:$/, ''))) throw new Error('scheme');
  } catch {
    throw new ConfigError(name, `must be a ${schemes.join(' or ')} URL`);
  }
  return raw;
}

/** An IPv4 or IPv6 address, optionally with a prefix length (a CIDR). */
export function isAddressOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
  return family !== 0 && validBits && extra === undefined;
}
