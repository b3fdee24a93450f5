import { isIPv6 } from 'node:net';

/**
 * The address limits count a client by: an IPv4 address as it is, an IPv6 address by its /64 — one
 * subscriber's network or device gets a whole /64 and can use any address in it, so counting single
 * IPv6 addresses would let one client through a limit 2^64 times. An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1, what a dual-stack listener reports) counts as its IPv4 address.
 */
export function clientGroupOf(address: string): string {
  if (!address.includes(':')) return address; // IPv4: every request of the rate limiter comes here
  const ip = address.split('%')[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return address;
  const hextets = (part: string) =>
    part ? part.split(':').flatMap((h) => (h.includes('.') ? ['0', '0'] : [h])) : [];
  const [head = '', tail] = ip.split('::');
  const left = hextets(head);
  const right = tail === undefined ? [] : hextets(tail);
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((h) => Number.parseInt(h, 16).toString(16))
    .join(':')}::/64`;
}
