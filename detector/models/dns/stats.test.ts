import { DAY_MS, emptyStats, observe } from '../../baseline/decay';
import { clientWindows, dnsEvents, resolverLookups, SIMDA_DNS, ZED_DNS } from './corpus.fixture';
import { expectation, MIN_HISTORY_WINDOWS, registrableDomain, span, suffixSummary, times } from './stats';

const HALF_LIFE = 14 * DAY_MS;
const WINDOW = 15 * 60_000;

describe('expectation', () => {
  const prior = { mean: 1, spread: 2 };

  it('is the prior for a client never seen, and nothing at all without a prior', () => {
    expect(expectation(undefined, 0, HALF_LIFE, MIN_HISTORY_WINDOWS, 2, prior)).toEqual({ mean: 1, spread: 2, history: 0, own: false });
    expect(expectation(undefined, 0, HALF_LIFE, MIN_HISTORY_WINDOWS, 2)).toBeUndefined();
  });

  it('hands over from the prior to the client, in proportion to its history', () => {
    // The real failing-domain counts of the busiest WRCCDC client's windows, repeated as its history.
    const counts = [...clientWindows(ZED_DNS).values()].filter((c) => c.client === '10.47.7.10').map((c) => c.failures.domains);
    expect(counts.length).toBeGreaterThan(0);
    let stats = emptyStats();
    const seen: boolean[] = [];
    for (let i = 0; i < MIN_HISTORY_WINDOWS + 2; i++) {
      stats = observe(stats, counts[i % counts.length], i * WINDOW, HALF_LIFE);
      const e = expectation(stats, (i + 1) * WINDOW, HALF_LIFE, MIN_HISTORY_WINDOWS, 2, prior)!;
      seen.push(e.own);
      // Between the prior's mean and the client's own while it learns.
      const lo = Math.min(prior.mean, stats.mean);
      const hi = Math.max(prior.mean, stats.mean);
      expect(e.mean).toBeGreaterThanOrEqual(lo - 1e-9);
      expect(e.mean).toBeLessThanOrEqual(hi + 1e-9);
      expect(e.spread).toBeGreaterThanOrEqual(2);
    }
    // Decay makes the weight of n windows slightly less than n, so the client's own baseline takes over at the
    // first window after the minimum that still counts as a full minimum.
    expect(seen.slice(0, MIN_HISTORY_WINDOWS - 1).every((own) => !own)).toBe(true);
    expect(seen[seen.length - 1]).toBe(true);
  });

  it('forgets: a history that stopped long ago falls below the minimum again', () => {
    let stats = emptyStats();
    for (let i = 0; i < 40; i++) stats = observe(stats, 0, i * WINDOW, HALF_LIFE);
    expect(expectation(stats, 40 * WINDOW, HALF_LIFE, MIN_HISTORY_WINDOWS, 2, prior)!.own).toBe(true);
    // Two half-lives later 40 windows weigh about 10.
    expect(expectation(stats, 40 * WINDOW + 2 * HALF_LIFE, HALF_LIFE, MIN_HISTORY_WINDOWS, 2, prior)!.own).toBe(false);
  });
});

describe('registrableDomain', () => {
  it('keeps the Simda names, which are registrable .com domains', () => {
    const failing = resolverLookups(dnsEvents(SIMDA_DNS)).filter((e) => e.rcode === 'NXDOMAIN' && e.name!.endsWith('.com'));
    expect(failing.length).toBeGreaterThan(100);
    for (const e of failing) expect(registrableDomain(e.name!)).toEqual({ domain: e.name!.toLowerCase(), suffix: 'com' });
  });

  it('drops names under suffixes nobody can register: search-list completions and internal zones', () => {
    const names = new Set(resolverLookups(dnsEvents(SIMDA_DNS)).concat(resolverLookups(dnsEvents(ZED_DNS))).map((e) => e.name!));
    // Real names of the two captures: the Simda host's WPAD search, the WRCCDC domain controller's zone.
    for (const n of ['wpad.lan', '_ldap._tcp.dc._msdcs.factory.oompa.loompa', 'ssl.gstatic.com.factory.oompa.loompa']) {
      expect(names.has(n)).toBe(true);
      expect(registrableDomain(n)).toBeUndefined();
    }
    // Reverse lookups and single labels have no registered domain at all.
    expect(names.has('156.0.16.172.in-addr.arpa')).toBe(true);
    expect(registrableDomain('156.0.16.172.in-addr.arpa')).toBeUndefined();
    expect(names.has('tmsc')).toBe(true);
    expect(registrableDomain('tmsc')).toBeUndefined();
    // Platform suffixes of the private section are registrable per customer.
    expect(names.has('nv-p1-elb-district-wrlin-01-2006273565.us-east-1.elb.amazonaws.com')).toBe(true);
    expect(registrableDomain('nv-p1-elb-district-wrlin-01-2006273565.us-east-1.elb.amazonaws.com')?.suffix).toBe('us-east-1.elb.amazonaws.com');
  });
});

describe('the wording of explanations', () => {
  it('says how long a history is in hours below a day and days above', () => {
    expect(span(3 * 3_600_000)).toBe('3 hours');
    expect(span(DAY_MS)).toBe('1 day');
    expect(span(3.4 * DAY_MS)).toBe('3 days');
  });

  it('gives a ratio only when the usual value is large enough to divide by', () => {
    expect(times(3120, 52)).toBe('60 times ');
    expect(times(112, 0.4)).toBe('');
    expect(times(60, 52)).toBe('');
  });

  it('names the most frequent suffixes and how many names they cover', () => {
    const s = new Map([
      ['ru', 200],
      ['su', 180],
      ['com', 35],
    ]);
    expect(suffixSummary(s)).toEqual({ text: '.ru and .su', covered: 380 });
    expect(suffixSummary(new Map([['com', 112]]))).toEqual({ text: '.com', covered: 112 });
  });
});
