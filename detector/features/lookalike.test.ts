import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { CORPUS, ZEEK_CORPUS, filesBelow, readLog } from '../../test/support/corpus';
import { domainParts, registeredDomain } from './domain';
import { LookalikeIndex, damerauLevenshtein, lookalikeOf, skeleton } from './lookalike';

const MAIL = join(CORPUS, 'mail');

/** Domain names the real mail logs carry in `from=<...>`, `to=<...>` and `helo=<...>` (Postfix, Sendmail, ...). */
function mailNames(): string[] {
  const names = new Set<string>();
  for (const file of filesBelow(MAIL)) {
    if (/(COPYING|LICENSE)$/.test(file)) continue;
    const text = readLog(file).toString('latin1');
    for (const m of text.matchAll(/\b(?:from|to)=<[^<>@\s]*@([^<>\s]+)>/g)) names.add(m[1].toLowerCase());
    for (const m of text.matchAll(/\bhelo=<([^<>\s]+)>/g)) names.add(m[1].toLowerCase());
  }
  return [...names].sort();
}

/** Query names, TLS server names and certificate names of the zed-sample-data traffic. */
function zedNames(): string[] {
  const names = new Set<string>();
  const read = (file: string, fields: string[]): void => {
    for (const record of readZeekFile(join(ZEEK_CORPUS, 'zed-sample-data/zeek-default', file))) {
      for (const field of fields) {
        const value = record.fields[field];
        for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') names.add(v);
      }
    }
  };
  read('dns.log.gz', ['query']);
  read('ssl.log.gz', ['server_name']);
  read('x509.log.gz', ['san.dns']);
  return [...names].sort();
}

const names = mailNames();
const mailDomains = [...new Set(names.map(registeredDomain).filter((d): d is string => d !== undefined))].sort();
const zedDomains = [...new Set(zedNames().map(registeredDomain).filter((d): d is string => d !== undefined))].sort();

/** A domain of the corpus, asserted to be there, so that each transformation below starts from real data. */
function real(domain: string): string {
  expect(mailDomains).toContain(domain);
  return domain;
}

/** Textbook optimal string alignment distance over the full matrix, as the reference for the banded one. */
function referenceOsa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

describe('damerauLevenshtein', () => {
  it('agrees with the full-matrix reference on pairs of real registered labels', () => {
    const labels = zedDomains.map((d) => domainParts(d)!.label).slice(0, 300);
    for (let i = 0; i + 1 < labels.length; i++) {
      expect(damerauLevenshtein(labels[i], labels[i + 1])).toBe(referenceOsa(labels[i], labels[i + 1]));
    }
  });

  it('agrees with the reference on arbitrary strings, and its bound returns max + 1 beyond max', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 4 }), (a, b, max) => {
        const full = referenceOsa(a, b);
        expect(damerauLevenshtein(a, b)).toBe(full);
        expect(damerauLevenshtein(a, b, max)).toBe(full <= max ? full : max + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts a transposition of adjacent letters as one edit', () => {
    expect(damerauLevenshtein('sendgrid', 'sendgird')).toBe(1);
    expect(damerauLevenshtein('sendgrid', 'sendgrid')).toBe(0);
  });
});

describe('skeleton', () => {
  it('maps confusable characters onto the letters they imitate', () => {
    expect(skeleton('rnicrosoft')).toBe('microsoft');
    expect(skeleton('paypa1')).toBe('paypal');
    expect(skeleton('g00gle')).toBe('google');
    expect(skeleton('\u0440\u0430\u0443\u0440\u0430l')).toBe('paypal'); // Cyrillic р а у р а
    expect(skeleton('y\u03bfh\u03bf\u03bf')).toBe('yohoo'); // Greek omicron
    expect(skeleton('\u00e9xample')).toBe('example');
  });

  it('leaves labels without confusables as they are', () => {
    for (const domain of mailDomains) {
      const { label } = domainParts(domain)!;
      if (!/[01]|rn|vv/.test(label)) expect(skeleton(label)).toBe(label);
    }
  });
});

describe('lookalikeOf with real mail domains as the known list', () => {
  // Each candidate is a real corpus domain put through one transformation, named in the test.
  const known = mailDomains;

  it('finds a homoglyph in an internationalised label: one Latin o replaced by Cyrillic о, sent as xn--', () => {
    const candidate = domainToASCII(real('yahoo.com').replace('o', '\u043e'));
    expect(candidate).toMatch(/^xn--/);
    expect(lookalikeOf(candidate, known)).toEqual({ domain: 'yahoo.com', kind: 'homoglyph', distance: 1 });
  });

  it('finds ASCII homoglyphs: m written rn, l written 1, o written 0', () => {
    expect(lookalikeOf(real('gmail.com').replace('m', 'rn'), known)).toEqual({ domain: 'gmail.com', kind: 'homoglyph', distance: 2 });
    expect(lookalikeOf(real('gmail.com').replace('l', '1'), known)).toEqual({ domain: 'gmail.com', kind: 'homoglyph', distance: 1 });
    expect(lookalikeOf(real('postfix.org').replace('o', '0'), known)).toEqual({ domain: 'postfix.org', kind: 'homoglyph', distance: 1 });
  });

  it('finds the same label under another suffix', () => {
    expect(lookalikeOf(real('sendgrid.net').replace(/\.net$/, '.com'), known)).toEqual({ domain: 'sendgrid.net', kind: 'tld-swap', distance: 0 });
    // A real pair of the corpus: yahoo.com.tw (an expired sender in the Postfix tests) against yahoo.com.
    real('yahoo.com.tw');
    expect(lookalikeOf('yahoo.com.tw', known.filter((d) => d !== 'yahoo.com.tw'))).toEqual({ domain: 'yahoo.com', kind: 'tld-swap', distance: 0 });
  });

  it('finds hyphens added or removed and a word hyphenated onto the label', () => {
    expect(lookalikeOf(real('constantcontact.com').replace('contact.', '-contact.'), known)).toEqual({
      domain: 'constantcontact.com',
      kind: 'hyphen',
      distance: 1,
    });
    // The other way round: a known hyphenated label written without its hyphen.
    expect(lookalikeOf(real('zihan-promo.com').replace('-', ''), known)).toEqual({ domain: 'zihan-promo.com', kind: 'hyphen', distance: 1 });
    expect(lookalikeOf(real('sendgrid.net').replace('sendgrid', 'sendgrid-login'), known)).toEqual({ domain: 'sendgrid.net', kind: 'hyphen', distance: 6 });
  });

  it('finds typos: transposition, omission, insertion, and two edits on long labels only', () => {
    expect(lookalikeOf(real('sendgrid.net').replace('grid', 'gird'), known)).toEqual({ domain: 'sendgrid.net', kind: 'edit', distance: 1 });
    expect(lookalikeOf(real('porcupine.org').replace('pine', 'pne'), known)).toEqual({ domain: 'porcupine.org', kind: 'edit', distance: 1 });
    expect(lookalikeOf(real('porcupine.org').replace('porc', 'porcc').replace('pine', 'pne'), known)).toEqual({
      domain: 'porcupine.org',
      kind: 'edit',
      distance: 2,
    });
    // A four-letter label allows one edit, not two.
    expect(lookalikeOf(real('qhhn.com').replace('qhhn', 'qhhm'), known)).toEqual({ domain: 'qhhn.com', kind: 'edit', distance: 1 });
    expect(lookalikeOf(real('qhhn.com').replace('qhhn', 'qhmm'), known)).toBeUndefined();
    // Three-letter labels allow none: one edit away is usually another real name.
    expect(lookalikeOf(real('dom.tld').replace('dom', 'dim'), known)).toBeUndefined();
  });

  it('finds a known domain written as labels of an unrelated one', () => {
    const candidate = `${real('gmail.com')}.${real('zihan-promo.com')}`;
    expect(lookalikeOf(candidate, known.filter((d) => d !== 'zihan-promo.com'))).toEqual({ domain: 'gmail.com', kind: 'subdomain-embed', distance: 0 });
    expect(lookalikeOf(`login.${real('hsdjasdd.co.uk')}.secure.${real('plutoapp.biz')}`, ['hsdjasdd.co.uk'])).toEqual({
      domain: 'hsdjasdd.co.uk',
      kind: 'subdomain-embed',
      distance: 0,
    });
  });

  it('does not report a known domain, or a real host under one, as a lookalike', () => {
    for (const domain of known) expect(lookalikeOf(domain, known)).toBeUndefined();
    // Real host names of the corpus under known domains: sendgrid's outbound relays, constantcontact's, ...
    const hosts = names.filter((n) => {
      const d = registeredDomain(n);
      return d !== undefined && d !== n;
    });
    expect(hosts).toEqual(expect.arrayContaining(['o1678917x173.outbound-mail.sendgrid.net', 'ccm231.constantcontact.com']));
    for (const host of hosts) expect(lookalikeOf(host, known)).toBeUndefined();
  });

  it('finds the real near-duplicates among the corpus mail domains themselves', () => {
    // Every corpus mail domain against all the others: the pairs the corpus holds by itself.
    const pairs = new Map<string, string>();
    for (const domain of known) {
      const hit = lookalikeOf(domain, known.filter((d) => d !== domain));
      if (hit) pairs.set(domain, `${hit.kind}:${hit.domain}`);
    }
    // example2.com is one inserted digit from example.com; yahoo.com.tw is yahoo.com under Taiwan's suffix.
    expect(pairs.get('example2.com')).toBe('edit:example.com');
    expect(pairs.get('yahoo.com.tw')).toBe('tld-swap:yahoo.com');
    expect(pairs.get('gmail.com')).toBeUndefined();
  });

  it('ignores names without a registered domain', () => {
    expect(lookalikeOf('[127.0.0.1]', known)).toBeUndefined();
    expect(lookalikeOf('localhost', known)).toBeUndefined();
    expect(names).toEqual(expect.arrayContaining(['[127.0.0.1]']));
  });
});

describe('LookalikeIndex on a few thousand real domains', () => {
  // Half of the zed-sample-data registered domains are known, the other half are candidates.
  const knownHalf = zedDomains.filter((_, i) => i % 2 === 0);
  const candidates = zedDomains.filter((_, i) => i % 2 === 1);

  const knownLabels = knownHalf.map((d) => {
    const label = domainParts(d)!.label;
    return { label, skeleton: skeleton(label), unhyphenated: label.replace(/-/g, '') };
  });

  /** Whether any known label is the candidate's label, its skeleton, its unhyphenated form, or within the allowed edits. */
  function bruteForceLabelMatch(candidate: string): boolean {
    const label = domainParts(candidate)!.label;
    const labelSkeleton = skeleton(label);
    const unhyphenated = label.replace(/-/g, '');
    for (const { label: other, skeleton: otherSkeleton, unhyphenated: otherUnhyphenated } of knownLabels) {
      if (other === label || otherSkeleton === labelSkeleton || otherUnhyphenated === unhyphenated) return true;
      if (label.split('-').some((word) => word.length >= 4 && word === other)) return true;
      const shorter = Math.min(label.length, other.length);
      const allowed = shorter < 4 ? 0 : shorter < 8 ? 1 : 2;
      if (allowed > 0 && damerauLevenshtein(label, other, allowed) <= allowed) return true;
    }
    return false;
  }

  it('finds exactly what a scan of every known label finds', () => {
    expect(zedDomains.length).toBeGreaterThan(1500);
    const index = new LookalikeIndex(knownHalf);
    for (const candidate of candidates) {
      const hit = index.match(candidate);
      const labelKind = hit !== undefined && hit.kind !== 'subdomain-embed';
      expect([candidate, labelKind]).toEqual([candidate, bruteForceLabelMatch(candidate)]);
    }
  });

  it('reports distances that are the distances between the labels', () => {
    const index = new LookalikeIndex(knownHalf);
    for (const candidate of candidates) {
      const hit = index.match(candidate);
      if (hit === undefined || hit.kind === 'subdomain-embed' || hit.kind === 'tld-swap') continue;
      expect(hit.distance).toBe(referenceOsa(domainParts(candidate)!.label, domainParts(hit.domain)!.label));
    }
  });

  it('answers within 2 ms per candidate against every real domain of the corpus', () => {
    const known = [...zedDomains, ...mailDomains];
    const index = new LookalikeIndex(known);
    expect(index.size).toBeGreaterThan(1500);
    // Unknown candidates take the longest path (every kind tried): real domains with their first two letters swapped.
    const registered = new Set(known);
    const probes = zedDomains.map((d) => d.replace(/^(.)(.)/, '$2$1')).filter((d) => !registered.has(d));
    expect(probes.length).toBeGreaterThan(1500);
    const started = process.hrtime.bigint();
    let found = 0;
    for (const candidate of probes) if (index.match(candidate)) found++;
    const perLookupMs = Number(process.hrtime.bigint() - started) / 1e6 / probes.length;
    // A loose bound: the test runner's module sandbox and a busy machine slow this loop several times over.
    expect(perLookupMs).toBeLessThan(2);
    // A swap of two letters is one transposition: most such probes come back as typos of their original.
    expect(found / probes.length).toBeGreaterThan(0.5);
  });

  it('caches the index per known array and rebuilds it when the array grows', () => {
    const known = mailDomains.filter((d) => d !== 'sendgrid.net');
    expect(lookalikeOf('sendgird.net', known)).toBeUndefined();
    known.push('sendgrid.net');
    expect(lookalikeOf('sendgird.net', known)).toEqual({ domain: 'sendgrid.net', kind: 'edit', distance: 1 });
  });
});
