import { ConfigError } from '../../common/errors';
import { localNetworkMatcher, networkDirection } from './direction';

describe('networkDirection', () => {
  it.each([
    [true, true, 'internal'],
    [true, false, 'outbound'],
    [false, true, 'inbound'],
    [false, false, 'external'],
    [undefined, true, 'unknown'],
    [true, undefined, 'unknown'],
  ] as const)('source local %s, destination local %s -> %s', (source, destination, expected) => {
    expect(networkDirection(source, destination)).toBe(expected);
  });
});

describe('localNetworkMatcher', () => {
  const isLocal = localNetworkMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.1.128/25', 'fd00::/8', '2001:db8:1::/48']);

  it.each([
    ['10.255.1.2', true],
    ['11.0.0.1', false],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.128', true],
    ['192.168.1.127', false],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['2001:db8:1:ffff::1', true],
    ['2001:db8:2::1', false],
    ['::ffff:10.1.2.3', true],
    ['::ffff:8.8.8.8', false],
    ['not-an-address', false],
  ])('%s local: %s', (ip, expected) => {
    expect(isLocal(ip)).toBe(expected);
  });

  it('treats no configured network as nothing local', () => {
    expect(localNetworkMatcher([])('10.0.0.1')).toBe(false);
  });

  it('rejects a network that is not CIDR, naming it', () => {
    expect(() => localNetworkMatcher(['10.0.0.0/33'])).toThrow(ConfigError);
    expect(() => localNetworkMatcher(['10.0.0.0/33'])).toThrow(/10\.0\.0\.0\/33/);
  });
});
