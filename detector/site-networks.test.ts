import { SiteNetworks, SUBNETS_FOR_WHOLE } from './site-networks';

describe('SiteNetworks', () => {
  it('writes an IPv4 address as its /24, and a /16 whole once enough of its /24s are seen', () => {
    const few = new SiteNetworks();
    for (const ip of ['147.32.83.234', '147.32.83.1', '147.32.3.96']) few.add(ip);
    expect(few.networks()).toEqual(['147.32.3.0/24', '147.32.83.0/24']);

    const many = new SiteNetworks();
    for (let i = 0; i < SUBNETS_FOR_WHOLE; i++) many.add(`147.32.${i}.10`);
    many.add('198.51.100.7');
    expect(many.networks()).toEqual(['147.32.0.0/16', '198.51.100.0/24']);
  });

  it('writes an IPv6 address as its /64, an IPv4-mapped one as IPv4, and leaves out loopback, groups and what is not an address', () => {
    const site = new SiteNetworks();
    const none = ['127.0.0.1', '::1', '::', '0.0.0.0', '224.0.0.251', 'ff02::1', '255.255.255.255', 'not-an-address', ''];
    for (const ip of ['2001:db8:1:2::17', '2001:db8:1:2::18', '::ffff:147.32.83.234', ...none]) site.add(ip);
    expect(site.networks()).toEqual(['147.32.83.0/24', '2001:db8:1:2::/64']);
  });
});
