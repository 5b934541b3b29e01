import { communityId, IANA_ICMP, IANA_ICMPV6, IANA_SCTP, IANA_TCP, IANA_UDP, ipToBytes } from './community-id';

/*
 * Expected values are the published reference results: the baseline tables of corelight/community-id-spec
 * (baseline/README.md, default seed), the test vectors of corelight/pycommunityid (tests/communityid_test.py) and
 * the output of Zeek's own Community ID plugin on the spec's ICMPv6 capture (corelight/zeek-community-id,
 * tests/Baseline/communityid.run-pcaps/icmp6.pcap.out). The shared corpus holds no Zeek log with Zeek's own
 * community_id column, so these are the strongest vectors available.
 */
type Vector = [proto: number, saddr: string, daddr: string, sport: number | undefined, dport: number | undefined, id: string];

const specBaseline: Vector[] = [
  [IANA_TCP, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
  [IANA_TCP, '5.6.7.8', '1.2.3.4', 3344, 1122, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
  [IANA_UDP, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
  [IANA_UDP, '5.6.7.8', '1.2.3.4', 3344, 1122, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
  [IANA_SCTP, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8='],
  [IANA_SCTP, '5.6.7.8', '1.2.3.4', 3344, 1122, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8='],
  [IANA_ICMP, '1.2.3.4', '5.6.7.8', 8, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
  [IANA_ICMP, '5.6.7.8', '1.2.3.4', 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
  [IANA_ICMP, '1.2.3.4', '5.6.7.8', 11, 0, '1:f/YiSyWqczrTgfUCZlBUnvHRcPk='],
  [IANA_ICMPV6, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 128, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
  [IANA_ICMPV6, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 129, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
  [IANA_ICMPV6, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 146, 0, '1:fYC8+pz24E+EhANP1EZhpX0Dw10='],
  [46, '1.2.3.4', '5.6.7.8', undefined, undefined, '1:ikv3kmf89luf73WPz1jOs49S768='],
  [46, '5.6.7.8', '1.2.3.4', undefined, undefined, '1:ikv3kmf89luf73WPz1jOs49S768='],
  [46, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', undefined, undefined, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0='],
  [46, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', undefined, undefined, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0='],
];

const pycommunityid: Vector[] = [
  [IANA_ICMP, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [IANA_ICMP, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  // Type 20 has no counterpart: the code is hashed and the endpoints are not reordered.
  [IANA_ICMP, '192.168.0.89', '192.168.0.1', 20, 0, '1:3o2RFccXzUgjl7zDpqmY7yJi8rI='],
  [IANA_ICMP, '192.168.0.89', '192.168.0.1', 20, 1, '1:tz/fHIDUHs19NkixVVoOZywde+I='],
  // For a type with a counterpart the code is ignored.
  [IANA_ICMP, '192.168.0.1', '192.168.0.89', 0, 20, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [IANA_ICMPV6, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 0, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [IANA_ICMPV6, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 0, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [IANA_ICMPV6, '3ffe:507:0:1:260:97ff:fe07:69ea', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:NdobDX8PQNJbAyfkWxhtL2Pqp5w='],
  [IANA_ICMPV6, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:507:0:1:260:97ff:fe07:69ea', 3, 0, '1:/OGBt9BN1ofenrmSPWYicpij2Vc='],
  [IANA_SCTP, '192.168.170.8', '192.168.170.56', 7, 80, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ='],
  [IANA_SCTP, '192.168.170.56', '192.168.170.8', 80, 7, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ='],
  [IANA_TCP, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [IANA_TCP, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [IANA_TCP, '10.0.0.1', '10.0.0.2', 10, 11569, '1:SXBGMX1lBOwhhoDrZynfROxnhnM='],
  [IANA_UDP, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [IANA_UDP, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [46, '10.1.24.4', '10.1.12.1', undefined, undefined, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4='],
  [46, '10.1.12.1', '10.1.24.4', undefined, undefined, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4='],
];

// Zeek logs ICMP connections with the type as id.orig_p and the code (or counterpart type) as id.resp_p.
const zeekPlugin: Vector[] = [
  [IANA_ICMP, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ='],
  [IANA_ICMP, '3ffe:501:410:0:2c0:dfff:fe47:33e', '3ffe:507:0:1:200:86ff:fe05:80da', 1, 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0='],
  [IANA_ICMP, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [IANA_ICMP, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0='],
  [IANA_ICMP, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
];

describe('communityId', () => {
  it.each(specBaseline)('spec baseline: %i %s -> %s %s/%s', (proto, saddr, daddr, sport, dport, id) => {
    expect(communityId(proto, saddr, daddr, sport, dport)).toBe(id);
  });

  it.each(pycommunityid)('pycommunityid: %i %s -> %s %s/%s', (proto, saddr, daddr, sport, dport, id) => {
    expect(communityId(proto, saddr, daddr, sport, dport)).toBe(id);
  });

  it.each(zeekPlugin)("Zeek's plugin, ICMP over IPv6 given as proto icmp: %s -> %s", (proto, saddr, daddr, sport, dport, id) => {
    expect(communityId(proto, saddr, daddr, sport, dport)).toBe(id);
  });

  it('gives each flow its own ID when it repeats the last call or follows a flow that differs in one value only', () => {
    // The vectors hold flows that differ only in the protocol (TCP, UDP, SCTP over the same endpoints) or in
    // one port (ICMP type 20 with code 0 and 1): an ID remembered for the previous call must not leak to them.
    const all = [...specBaseline, ...pycommunityid, ...zeekPlugin];
    const ids: (string | undefined)[] = [];
    for (const [proto, saddr, daddr, sport, dport] of [...all, ...[...all].reverse()]) {
      ids.push(communityId(proto, saddr, daddr, sport, dport), communityId(proto, saddr, daddr, sport, dport));
    }
    const expected = [...all, ...[...all].reverse()].flatMap((vector) => [vector[5], vector[5]]);
    expect(ids).toEqual(expected);
    // Undefined ports (a protocol without them) and invalid input are answered alike when repeated.
    expect(communityId(IANA_UDP, '1.2.3.4', '5.6.7.8', 53, undefined)).toBeUndefined();
    expect(communityId(IANA_UDP, '1.2.3.4', '5.6.7.8', 53, undefined)).toBeUndefined();
    expect(communityId(IANA_UDP, '1.2.3.4', '5.6.7.8', 1122, 3344)).toBe('1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  });

  it('gives nothing for addresses it cannot hash', () => {
    expect(communityId(IANA_TCP, 'not-an-ip', '1.2.3.4', 1, 2)).toBeUndefined();
    expect(communityId(IANA_TCP, '1.2.3.4', '::1', 1, 2)).toBeUndefined();
    expect(communityId(IANA_TCP, '1.2.3.4', '5.6.7.8', 1, 70000)).toBeUndefined();
    expect(communityId(IANA_UDP, '1.2.3.4', '5.6.7.8', 53, undefined)).toBeUndefined();
  });
});

describe('ipToBytes', () => {
  const out = new Uint8Array(16);

  it.each([
    ['10.0.0.1', [10, 0, 0, 1]],
    ['255.255.255.255', [255, 255, 255, 255]],
  ])('reads IPv4 %s', (text, bytes) => {
    expect(ipToBytes(text, out)).toBe(4);
    expect([...out.subarray(0, 4)]).toEqual(bytes);
  });

  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['fe80::200:86ff:fe05:80da', 'fe80000000000000020086fffe0580da'],
    ['2001:db8::', '20010db8000000000000000000000000'],
    ['::ffff:192.168.0.1', '00000000000000000000ffffc0a80001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('reads IPv6 %s', (text, hex) => {
    expect(ipToBytes(text, out)).toBe(16);
    expect(Buffer.from(out).toString('hex')).toBe(hex);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.a', ':1', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', 'host'])(
    'rejects %j',
    (text) => {
      expect(ipToBytes(text, out)).toBe(0);
    },
  );
});
