import { describe, expect, it } from 'vitest';
import { clientGroupOf } from './client-group.js';

describe('the address a client is counted by', () => {
  it('keeps an IPv4 address, and an IPv4-mapped IPv6 address as IPv4', () => {
    expect(clientGroupOf('192.0.2.10')).toBe('192.0.2.10');
    expect(clientGroupOf('::ffff:192.0.2.10')).toBe('192.0.2.10');
    expect(clientGroupOf('::FFFF:192.0.2.10')).toBe('192.0.2.10');
  });

  it('groups IPv6 addresses by their /64, however they are written', () => {
    const group = '2001:db8:aa:bb::/64';
    for (const address of [
      '2001:db8:aa:bb::1',
      '2001:0db8:00aa:00bb:ffff:ffff:ffff:ffff',
      '2001:db8:aa:bb:1:2:3:4',
      '2001:DB8:AA:BB::',
      'fe80::1%eth0'.replace('fe80::1', '2001:db8:aa:bb::7'),
      '2001:db8:aa:bb:0:0:192.0.2.1',
    ])
      expect(clientGroupOf(address)).toBe(group);
    expect(clientGroupOf('2001:db8:aa:bc::1')).toBe('2001:db8:aa:bc::/64');
    expect(clientGroupOf('::1')).toBe('0:0:0:0::/64');
    expect(clientGroupOf('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('leaves anything else as it is', () => {
    expect(clientGroupOf('unknown')).toBe('unknown');
  });
});
