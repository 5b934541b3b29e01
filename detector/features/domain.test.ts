import { join } from 'node:path';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { LABELED_CORPUS, ZEEK_CORPUS, readLog } from '../../test/support/corpus';
import {
  TUNNELING_ALERT_SCORE,
  TunnelAccumulator,
  domainParts,
  registeredDomain,
  shannonEntropy,
  subdomainPart,
  tunnelingFeatures,
  tunnelingScore,
} from './domain';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
/** Simda botnet capture: mostly DGA lookups (`volykyc.com`, `pufymoq.com`, ...). */
const SIMDA_DNS = join(STRATOSPHERE, '005-zeek-scenario-malicious/dns.log');
/** Kovter capture with per-flow labels Malicious / Benign / Background. */
const KOVTER_DNS = join(STRATOSPHERE, '009-zeek-malicious/data/dns.log.labeled');
/** WRCCDC 2018 traffic: ordinary lookups of a few hundred hosts. */
const ZED_DNS = join(ZEEK_CORPUS, 'zed-sample-data/zeek-default/dns.log.gz');

interface Query {
  query: string;
  qtype?: string;
  label?: string;
}

function queries(file: string): Query[] {
  const out: Query[] = [];
  for (const r of readZeekFile(file)) {
    const query = r.fields.query;
    if (typeof query !== 'string') continue;
    const qtype = typeof r.fields.qtype_name === 'string' ? r.fields.qtype_name : undefined;
    const label = typeof r.fields.label === 'string' ? r.fields.label : undefined;
    out.push({ query, qtype, label });
  }
  return out;
}

/** Accumulates a query stream per registered domain, as the DNS model does over a window. */
function accumulate(stream: Query[]): Map<string, TunnelAccumulator> {
  const byDomain = new Map<string, TunnelAccumulator>();
  for (const q of stream) {
    const domain = registeredDomain(q.query);
    if (domain === undefined) continue;
    let acc = byDomain.get(domain);
    if (!acc) byDomain.set(domain, (acc = new TunnelAccumulator(domain)));
    expect(acc.add(q.query, q.qtype)).toBe(true);
  }
  return byDomain;
}

function scores(byDomain: Map<string, TunnelAccumulator>): Map<string, number> {
  return new Map([...byDomain].map(([domain, acc]) => [domain, tunnelingScore(acc.stats())]));
}

const simda = queries(SIMDA_DNS);
const kovter = queries(KOVTER_DNS);
const zed = queries(ZED_DNS);

/** Entropy the textbook way, independent of the implementation's counting tables. */
function referenceEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...s].length;
  let h = 0;
  for (const k of counts.values()) h -= (k / n) * Math.log2(k / n);
  return h;
}

/** RFC 4648 base32, lower case, unpadded: the alphabet iodine and many exfiltration tools put into labels. */
function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

function labelsOf(text: string, size: number): string {
  const labels: string[] = [];
  for (let i = 0; i < text.length; i += size) labels.push(text.slice(i, i + size));
  return labels.join('.');
}

/**
 * The query names a DNS exfiltration tool sends to carry `payload` out under `domain`: the bytes cut into chunks,
 * each chunk encoded into labels of at most 63 characters. `hex` follows dnscat2 (hex, split labels), `base32`
 * follows iodine (base32 upstream, 63-character labels). The payload is a real corpus file, so the names carry the
 * statistics of real data; no log line is written, only the names a tunnel client would ask for.
 */
function exfiltrationNames(payload: Buffer, domain: string, encoding: 'hex' | 'base32'): string[] {
  const chunk = encoding === 'hex' ? 60 : 100;
  const names: string[] = [];
  for (let i = 0; i < payload.length; i += chunk) {
    const bytes = payload.subarray(i, i + chunk);
    const text = encoding === 'hex' ? bytes.toString('hex') : base32(bytes);
    names.push(`${labelsOf(text, encoding === 'hex' ? 60 : 63)}.${domain}`);
  }
  return names;
}

/** A Simda DGA domain of the 005 capture: the kind of domain a tunnel's server would sit behind. */
const DGA_DOMAIN = 'volykyc.com';
/** Bytes of a real log of the corpus, the data to carry out. */
const PAYLOAD = readLog(join(STRATOSPHERE, '005-zeek-scenario-malicious/http.log')).subarray(0, 24_000);

describe('registeredDomain and subdomainPart on real query names', () => {
  it('cuts every zed-sample-data name into subdomain + registered domain, lower case', () => {
    let cut = 0;
    for (const { query } of zed) {
      const parts = domainParts(query);
      if (parts === undefined) continue;
      cut++;
      const expected = query.toLowerCase().replace(/\.$/, '');
      expect(parts.registeredDomain).toBe(parts.registeredDomain.toLowerCase());
      expect(parts.subdomain === '' ? parts.registeredDomain : `${parts.subdomain}.${parts.registeredDomain}`).toBe(expected);
      expect(parts.registeredDomain).toBe(`${parts.label}.${parts.publicSuffix}`);
    }
    // Most lookups are of ordinary names; the rest are PTR, NetBIOS `*` and single labels (checked below).
    expect(cut / zed.length).toBeGreaterThan(0.85);
  });

  it('uses the public suffix list, multi-label suffixes included', () => {
    // Names of the Kovter capture: `ac.ke` and `su` are public suffixes; case is not significant in DNS.
    expect(kovter.some((q) => q.query === 'MAIL.UEAB.AC.KE')).toBe(true);
    expect(registeredDomain('MAIL.UEAB.AC.KE')).toBe('ueab.ac.ke');
    expect(subdomainPart('MAIL.UEAB.AC.KE')).toBe('mail');
    expect(registeredDomain('JEPNTWJOMIAQ.SU')).toBe('jepntwjomiaq.su');
    expect(subdomainPart('JEPNTWJOMIAQ.SU')).toBe('');
    expect(registeredDomain('www.download.windowsupdate.com')).toBe('windowsupdate.com');
    expect(subdomainPart('www.download.windowsupdate.com')).toBe('www.download');
  });

  it('ignores the trailing root dot', () => {
    for (const { query } of zed.slice(0, 500)) expect(registeredDomain(query + '.')).toBe(registeredDomain(query));
  });

  it('gives a name under a private suffix (a cloud customer) its own registered domain', () => {
    // `*.elb.amazonaws.com` is in the private section: each load balancer name belongs to its customer.
    const elb = zed.map((q) => q.query).filter((q) => /\.us-east-1\.elb\.amazonaws\.com$/.test(q));
    expect(elb.length).toBeGreaterThan(3);
    for (const name of elb) {
      expect(registeredDomain(name)).toBe(name.replace(/^.*\.([^.]+\.us-east-1\.elb\.amazonaws\.com)$/, '$1'));
    }
  });

  it('has no registered domain for single labels, IP literals and reverse-mapping names', () => {
    // LLMNR/NetBIOS names of the Kovter capture: WPAD, and the `b`, `t-`, `7-` MX probes.
    for (const name of ['WPAD', 'wpad', 'b', 't-', '7-']) {
      expect(kovter.some((q) => q.query === name)).toBe(true);
      expect(registeredDomain(name)).toBeUndefined();
      expect(subdomainPart(name)).toBeUndefined();
    }
    const ptr = zed.filter((q) => q.qtype === 'PTR' && /\.(in-addr|ip6)\.arpa$/i.test(q.query));
    expect(ptr.length).toBeGreaterThan(100);
    for (const q of ptr) expect(registeredDomain(q.query)).toBeUndefined();
    const ip6 = kovter.find((q) => q.query.endsWith('.ip6.arpa'));
    expect(ip6).toBeDefined();
    expect(registeredDomain(ip6!.query)).toBeUndefined();
    // Resolver and multicast addresses the captures queried: an address is not a registered name.
    const resolvers = new Set(readZeekFile(KOVTER_DNS).map((r) => String(r.fields['id.resp_h'])));
    expect(resolvers.has('8.8.8.8')).toBe(true);
    expect(resolvers.has('ff02::1:3')).toBe(true);
    for (const address of resolvers) {
      expect(registeredDomain(address)).toBeUndefined();
      if (address.includes(':')) expect(registeredDomain(`[${address}]`)).toBeUndefined();
    }
  });

  it('keeps site-internal zones together under the default rule: last label as suffix', () => {
    expect(zed.some((q) => q.query === '_ldap._tcp.dc._msdcs.factory.oompa.loompa')).toBe(true);
    expect(registeredDomain('_ldap._tcp.dc._msdcs.factory.oompa.loompa')).toBe('oompa.loompa');
    expect(subdomainPart('_ldap._tcp.dc._msdcs.factory.oompa.loompa')).toBe('_ldap._tcp.dc._msdcs.factory');
    expect(kovter.some((q) => q.query === 'wpad.lan')).toBe(true);
    expect(registeredDomain('wpad.lan')).toBe('wpad.lan');
    expect(registeredDomain('jin.local')).toBe('jin.local');
  });

  it('returns internationalised names in their ASCII form, one key per domain', () => {
    // A real name with one letter turned into its accented form, as a Unicode IDN would be written.
    const ascii = 'sweettarts.oompa.loompa';
    expect(zed.some((q) => q.query === ascii)).toBe(true);
    const unicode = ascii.replace('sweettarts', 'swéettarts');
    expect(subdomainPart(unicode)).toMatch(/^xn--/);
    expect(registeredDomain(unicode)).toBe('oompa.loompa');
  });
});

describe('shannonEntropy', () => {
  it('is 0 for no or one repeated character and log2(n) for n distinct ones', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('www')).toBe(0);
    expect(shannonEntropy('abcd')).toBeCloseTo(2, 12);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4, 12);
  });

  it('agrees with the textbook formula on every distinct corpus name', () => {
    const names = new Set([...simda, ...kovter, ...zed].map((q) => q.query).filter((q) => q !== ''));
    for (const name of names) {
      expect(shannonEntropy(name)).toBeCloseTo(referenceEntropy(name), 9);
      // Never above the entropy of a uniform draw over the characters present.
      expect(shannonEntropy(name)).toBeLessThanOrEqual(Math.log2(new Set(name).size) + 1e-9);
    }
  });
});

describe('tunnelingFeatures', () => {
  it('measures the part left of the registered domain of a long CDN name', () => {
    const name = zed.map((q) => q.query).find((q) => q.endsWith('.rackcdn.com') && q.length > 60);
    expect(name).toBeDefined();
    const f = tunnelingFeatures(name!);
    const sub = name!.slice(0, -'.rackcdn.com'.length);
    const labels = sub.split('.');
    const payload = labels.join('');
    expect(f.registeredDomain).toBe('rackcdn.com');
    expect(f.subdomain).toBe(sub);
    expect(f.length).toBe(name!.length);
    expect(f.subdomainLength).toBe(sub.length);
    expect(f.labelCount).toBe(labels.length);
    expect(f.longestLabel).toBe(Math.max(...labels.map((l) => l.length)));
    expect(f.entropy).toBeCloseTo(referenceEntropy(payload), 9);
    expect(f.information).toBeCloseTo(referenceEntropy(payload) * payload.length, 6);
    expect(f.digitRatio).toBeCloseTo(payload.replace(/\D/g, '').length / payload.length, 12);
    expect(f.charClasses).toBe(3); // letters, digits and the hyphen
  });

  it('gives Simda DGA names no subdomain information: the DGA sits in the registered label', () => {
    const dga = simda.filter((q) => /^[a-z]{7}\.com$/.test(q.query));
    expect(dga.length).toBeGreaterThan(500);
    for (const q of dga) {
      const f = tunnelingFeatures(q.query);
      expect(f.subdomain).toBe('');
      expect(f.information).toBe(0);
    }
  });

  it('gives names without a registered domain zero subdomain figures', () => {
    for (const name of ['WPAD', '9.f.1.c.3.0.d.f.1.5.c.2.1.f.c.7.0.0.0.0.5.2.2.0.c.8.b.a.d.2.d.f.ip6.arpa']) {
      const f = tunnelingFeatures(name);
      expect(f.registeredDomain).toBeUndefined();
      expect(f.information).toBe(0);
      expect(f.labelCount).toBe(0);
      expect(f.length).toBe(name.length);
    }
  });

  it('rates exfiltration names far above the ordinary names of zed-sample-data', () => {
    const ordinary = zed.map((q) => tunnelingFeatures(q.query).information).sort((a, b) => a - b);
    const p99 = ordinary[Math.floor(ordinary.length * 0.99)];
    for (const encoding of ['hex', 'base32'] as const) {
      const names = exfiltrationNames(PAYLOAD, DGA_DOMAIN, encoding);
      const info = names.map((n) => tunnelingFeatures(n).information).sort((a, b) => a - b);
      // Even the shortest (last) chunk's name carries more than 99 % of ordinary lookups.
      expect(info[1]).toBeGreaterThan(2 * p99);
      expect(tunnelingFeatures(names[0]).longestLabel).toBeGreaterThanOrEqual(60);
    }
  });
});

describe('TunnelAccumulator', () => {
  it('estimates distinct names per registered domain of zed-sample-data closely', () => {
    const exact = new Map<string, Set<string>>();
    for (const { query } of zed) {
      const domain = registeredDomain(query);
      if (domain === undefined) continue;
      if (!exact.has(domain)) exact.set(domain, new Set());
      exact.get(domain)!.add(query.toLowerCase());
    }
    const byDomain = accumulate(zed);
    expect(byDomain.size).toBe(exact.size);
    for (const [domain, names] of exact) {
      const estimate = byDomain.get(domain)!.uniqueSubdomains();
      // Linear counting over the 256 registers: standard deviation sqrt(m (e^t - t - 1)) for t = n / m
      // (Whang et al. 1990); within three of them, and one name for the smallest counts.
      const t = names.size / 256;
      const sigma = Math.sqrt(256 * (Math.exp(t) - t - 1));
      expect(Math.abs(estimate - names.size)).toBeLessThanOrEqual(Math.max(1, 3 * sigma));
    }
  });

  it('estimates thousands of distinct names within three standard errors', () => {
    const payload = readLog(ZED_DNS); // a larger real payload: thousands of chunks
    const names = exfiltrationNames(payload.subarray(0, 600_000), DGA_DOMAIN, 'hex');
    const acc = new TunnelAccumulator(DGA_DOMAIN);
    for (const name of names) acc.add(name, 'TXT');
    const exact = new Set(names).size;
    expect(exact).toBeGreaterThan(5000);
    expect(Math.abs(acc.uniqueSubdomains() - exact) / exact).toBeLessThan(3 * 0.065);
    expect(acc.queries).toBe(names.length);
    expect(acc.payloadTypeQueries).toBe(names.length);
  });

  it('refuses names of another domain and counts nothing for them', () => {
    const acc = new TunnelAccumulator('google.com');
    expect(acc.add('www.google.com', 'A')).toBe(true);
    expect(acc.add('ise.wrccdc.org', 'A')).toBe(false);
    expect(acc.add('notgoogle.com', 'A')).toBe(false);
    expect(acc.queries).toBe(1);
  });

  it('counts TXT and NULL queries, by name or number', () => {
    const google = zed.filter((q) => registeredDomain(q.query) === 'google.com');
    const txt = google.filter((q) => q.qtype === 'TXT' || q.qtype === 'NULL').length;
    expect(txt).toBeGreaterThan(0);
    const acc = accumulate(google).get('google.com')!;
    expect(acc.payloadTypeQueries).toBe(txt);
    const numeric = new TunnelAccumulator('google.com');
    numeric.add('www.google.com', 16);
    numeric.add('www.google.com', 10);
    numeric.add('www.google.com', 1);
    expect(numeric.payloadTypeQueries).toBe(2);
  });

  it('merges two halves into what one accumulator sees', () => {
    const google = zed.filter((q) => registeredDomain(q.query) === 'google.com');
    const whole = accumulate(google).get('google.com')!;
    const a = accumulate(google.filter((_, i) => i % 2 === 0)).get('google.com')!;
    const b = accumulate(google.filter((_, i) => i % 2 === 1)).get('google.com')!;
    a.merge(b);
    const merged = a.stats();
    const single = whole.stats();
    expect(merged.uniqueSubdomains).toBe(single.uniqueSubdomains);
    expect(merged.queries).toBe(single.queries);
    expect(merged.informationSum).toBeCloseTo(single.informationSum, 6);
    expect(merged.informationMax).toBe(single.informationMax);
    expect(merged.longestLabel).toBe(single.longestLabel);
    expect(() => a.merge(new TunnelAccumulator('wrccdc.org'))).toThrow();
  });
});

describe('tunnelingScore', () => {
  it('flags no registered domain of the ordinary zed-sample-data traffic', () => {
    const s = scores(accumulate(zed));
    expect(s.size).toBeGreaterThan(500);
    const flagged = [...s].filter(([, score]) => score >= TUNNELING_ALERT_SCORE);
    expect(flagged).toEqual([]);
  });

  it('flags no registered domain of the Simda and Kovter captures: DGA lookups are not tunnels', () => {
    // Each DGA domain is looked up by its bare name: one distinct name, no subdomain information.
    for (const stream of [simda, kovter]) {
      for (const [domain, score] of scores(accumulate(stream))) {
        expect([domain, score]).toEqual([domain, 0]);
      }
    }
  });

  it('flags a tunnel carrying a real file, hex (dnscat2-like) and base32 with NULL (iodine-like)', () => {
    for (const [encoding, qtype] of [['hex', 'TXT'], ['base32', 'NULL']] as const) {
      const acc = new TunnelAccumulator(DGA_DOMAIN);
      for (const name of exfiltrationNames(PAYLOAD, DGA_DOMAIN, encoding)) acc.add(name, qtype);
      expect(tunnelingScore(acc.stats())).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('finds the tunnel as the only flagged domain when its queries are mixed into ordinary traffic', () => {
    const tunnel = exfiltrationNames(PAYLOAD, DGA_DOMAIN, 'hex').map((query) => ({ query, qtype: 'A' }));
    const mixed: Query[] = [];
    const step = Math.floor(zed.length / tunnel.length);
    zed.forEach((q, i) => {
      mixed.push(q);
      if (i % step === 0 && tunnel.length > 0) mixed.push(tunnel.shift()!);
    });
    const flagged = [...scores(accumulate(mixed))].filter(([, score]) => score >= TUNNELING_ALERT_SCORE).map(([d]) => d);
    expect(flagged).toEqual([DGA_DOMAIN]);
  });

  it('needs many distinct names: the score grows with them and a handful stays below the alert', () => {
    const names = exfiltrationNames(PAYLOAD, DGA_DOMAIN, 'hex');
    const at = (n: number): number => {
      const acc = new TunnelAccumulator(DGA_DOMAIN);
      for (const name of names.slice(0, n)) acc.add(name, 'A');
      return tunnelingScore(acc.stats());
    };
    expect(at(1)).toBe(0);
    expect(at(10)).toBe(0);
    expect(at(30)).toBeLessThan(TUNNELING_ALERT_SCORE);
    expect(at(30)).toBeGreaterThan(at(20));
    expect(at(100)).toBeGreaterThan(at(30));
    expect(at(300)).toBeGreaterThanOrEqual(at(100));
  });

  it('does not flag many distinct low-information names', () => {
    // The same number of distinct names as a tunnel, but ordinary host names: zed's names re-rooted under one domain.
    const hosts = [...new Set(zed.map((q) => subdomainPart(q.query)).filter((s): s is string => !!s && !s.includes('.') && s.length <= 12))];
    expect(hosts.length).toBeGreaterThan(100);
    const acc = new TunnelAccumulator(DGA_DOMAIN);
    for (const host of hosts) acc.add(`${host}.${DGA_DOMAIN}`, 'A');
    expect(acc.stats().uniqueSubdomains).toBeGreaterThan(100);
    expect(tunnelingScore(acc.stats())).toBeLessThan(TUNNELING_ALERT_SCORE);
  });
});
