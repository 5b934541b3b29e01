import { DAY_MS, emptyStats } from '../../baseline/decay';
import { clientWindows, dnsEvents, KOVTER_DNS, lookupRows, resolverLookups, SIMDA_DNS, SIMDA_V4, SIMDA_V6, WINDOW_MS, ZED_DNS } from './corpus.fixture';
import { burstShape, domainShape, MIN_SHAPE_DOMAINS, failureExplanation, FailureTally, isFailure, judgeFailures, learnFailures, tallyRow, type FailureState } from './failures';
import type { ClientWindow } from './lookups';
import { MIN_HISTORY_WINDOWS } from './stats';

const HALF_LIFE = 14 * DAY_MS;
/** The default alert score (`detector.alertScore`). */
const ALERT = 60;

const simda = clientWindows(SIMDA_DNS);
const zed = clientWindows(ZED_DNS);
const kovter = clientWindows(KOVTER_DNS);

function windowOf(windows: Map<string, ClientWindow>, client: string): ClientWindow {
  const found = [...windows.values()].find((c) => c.client === client);
  if (!found) throw new Error(`no window of ${client}`);
  return found;
}

function startOf(key: string): number {
  return Number(key.split('|')[0]);
}

/** A history of real windows: each window's failures folded in, a window apart. */
function history(windows: ClientWindow[], from = 0): FailureState {
  let state: FailureState | undefined;
  windows.forEach((c, i) => {
    state = learnFailures(state, c.failures, from + i * WINDOW_MS, HALF_LIFE);
  });
  return state!;
}

describe('FailureTally on real captures', () => {
  it('counts every failed lookup of a client, and each failing name and domain once', () => {
    for (const [file, windows] of [
      [SIMDA_DNS, simda],
      [ZED_DNS, zed],
    ] as const) {
      const events = resolverLookups(dnsEvents(file));
      for (const [key, c] of windows) {
        const mine = events.filter((e) => e.client === c.client && Math.floor(e.time / WINDOW_MS) * WINDOW_MS === startOf(key));
        const failed = mine.filter((e) => isFailure(e.rcode));
        expect(c.failures.lookups).toBe(failed.length);
        expect(c.failures.names).toBe(new Set(failed.map((e) => e.name)).size);
        expect(c.failures.domains).toBeLessThanOrEqual(c.failures.names);
        expect(c.lookups).toBe(mine.length);
      }
    }
  });

  it('finds the Simda host failing under more than a hundred .com domains in one window', () => {
    // The capture's README: "malicious dga connections"; six minutes, so one window per address of the host.
    const v6 = windowOf(simda, SIMDA_V6).failures;
    expect(v6.domains).toBeGreaterThan(100);
    expect(v6.suffixes.get('com')).toBe(v6.domains);
    expect(v6.examples.every((d) => /^[a-z]+\.com$/.test(d))).toBe(true);
    const v4 = windowOf(simda, SIMDA_V4).failures;
    expect(v4.domains).toBeGreaterThanOrEqual(10);
  });

  it('finds ordinary clients failing under a few domains, however many times', () => {
    // WRCCDC: 77 hosts; the busiest fail over a hundred lookups of one Ubuntu name in a window.
    const windows = [...zed.values()];
    expect(windows.length).toBeGreaterThan(100);
    expect(Math.max(...windows.map((c) => c.failures.lookups))).toBeGreaterThan(100);
    expect(Math.max(...windows.map((c) => c.failures.domains))).toBeLessThanOrEqual(5);
    // Kovter's LAN asks its resolver almost nothing; its NetBIOS and LLMNR chatter is not read at all.
    expect(Math.max(...[...kovter.values()].map((c) => c.failures.domains))).toBe(0);
  });

  it('counts a name once however its rows are split by type and code', () => {
    // The capture's first failed name, as the composite would split it over three rows.
    const t = new FailureTally();
    const e =  resolverLookups(dnsEvents(SIMDA_DNS)).find((x) => x.rcode === 'NXDOMAIN')!;
    tallyRow(t, { name: e.name!, qtype: 'A', rcode: 'NXDOMAIN', docs: 2, first: e.time });
    tallyRow(t, { name: e.name!, qtype: 'AAAA', rcode: 'NXDOMAIN', docs: 1, first: e.time - 5 });
    tallyRow(t, { name: e.name!, qtype: 'AAAA', rcode: 'NOERROR', docs: 7, first: e.time });
    expect(t.summary()).toMatchObject({ lookups: 3, names: 1, domains: 1, first: e.time - 5 });
  });
});

describe('judgeFailures without history: against the prior', () => {
  it('alerts on both addresses of the Simda host, the one with more domains higher', () => {
    const [v6key, v6] = [...simda.entries()].find(([, c]) => c.client === SIMDA_V6)!;
    const [v4key, v4] = [...simda.entries()].find(([, c]) => c.client === SIMDA_V4)!;
    const a = judgeFailures(v6.failures, undefined, startOf(v6key), HALF_LIFE, 15)!;
    const b = judgeFailures(v4.failures, undefined, startOf(v4key), HALF_LIFE, 15)!;
    expect(a.driver).toBe('domains');
    expect(a.domains.own).toBe(false);
    expect(a.score).toBeGreaterThanOrEqual(75);
    expect(b.score).toBeGreaterThanOrEqual(ALERT);
    expect(a.score).toBeGreaterThan(b.score);
  });

  it('reports nothing for any of the ordinary WRCCDC or Kovter LAN client windows', () => {
    for (const windows of [zed, kovter]) {
      for (const [key, c] of windows) expect(judgeFailures(c.failures, undefined, startOf(key), HALF_LIFE, 15)).toBeUndefined();
    }
  });

  it('scales the prior with the window: an hour holds four quarter hours of ordinary failures', () => {
    const [key, v4] = [...simda.entries()].find(([, c]) => c.client === SIMDA_V4)!;
    const quarter = judgeFailures(v4.failures, undefined, startOf(key), HALF_LIFE, 15)!;
    const hour = judgeFailures(v4.failures, undefined, startOf(key), HALF_LIFE, 60);
    expect(hour?.score ?? 0).toBeLessThan(quarter.score);
  });
});

describe('judgeFailures against the client history', () => {
  // The WRCCDC client windows, in time order, as one client's history: real ordinary failure figures.
  const ordinary = [...zed.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, c]) => c);
  const state = history(ordinary);
  const at = ordinary.length * WINDOW_MS;

  it('has enough history to stand on its own', () => {
    expect(ordinary.length).toBeGreaterThan(MIN_HISTORY_WINDOWS);
    const v = judgeFailures(windowOf(simda, SIMDA_V6).failures, state, at, HALF_LIFE, 15)!;
    expect(v.domains.own).toBe(true);
    expect(v.score).toBeGreaterThanOrEqual(90);
  });

  it('keeps a burst of failures under one domain an observation', () => {
    // 10.47.8.155's window: over a hundred failed lookups of videosearch.ubuntu.com.
    const burst = [...zed.values()].filter((c) => c.client === '10.47.8.155').sort((a, b) => b.failures.lookups - a.failures.lookups)[0];
    expect(burst.failures.lookups).toBeGreaterThan(100);
    expect(burst.failures.domains).toBe(1);
    // Against a history without such bursts (the clients that never fail more than a few lookups).
    const quiet = history(ordinary.filter((c) => c.failures.lookups <= 10));
    const v = judgeFailures(burst.failures, quiet, at, HALF_LIFE, 15)!;
    expect(v.driver).toBe('lookups');
    expect(v.score).toBeLessThan(ALERT);
    expect(failureExplanation(burst.client, burst.failures, v, 15, DAY_MS)).toMatch(/but under only 1 registered domain/);
  });

  it('learns: after the same burst every window for a while, it is no longer a surprise', () => {
    const v6 = windowOf(simda, SIMDA_V6).failures;
    let s: FailureState = { domains: emptyStats(), lookups: emptyStats() };
    for (let i = 0; i < 40; i++) s = learnFailures(s, v6, i * WINDOW_MS, HALF_LIFE);
    expect(judgeFailures(v6, s, 40 * WINDOW_MS, HALF_LIFE, 15)).toBeUndefined();
  });
});

describe('failureExplanation', () => {
  it('gives the lookups, names, domains, the expectation and where the names are', () => {
    const [key, c] = [...simda.entries()].find(([, w]) => w.client === SIMDA_V6)!;
    const v = judgeFailures(c.failures, undefined, startOf(key), HALF_LIFE, 15)!;
    const text = failureExplanation(c.client, c.failures, v, 15, undefined);
    expect(text).toContain(`${SIMDA_V6} made ${c.failures.lookups} lookups of ${c.failures.names} names that do not exist`);
    expect(text).toContain(`under ${c.failures.domains} registered domains`);
    expect(text).toContain('without history');
    expect(text).toContain(`${c.failures.suffixes.get('com')} of them under .com (${c.failures.examples[0]}`);
  });

  it('compares with the client usual figure once it has a history', () => {
    const ordinary = [...zed.values()].slice(0, 30);
    const state = history(ordinary);
    const c = windowOf(simda, SIMDA_V6);
    const v = judgeFailures(c.failures, state, 30 * WINDOW_MS, HALF_LIFE, 15)!;
    const text = failureExplanation(c.client, c.failures, v, 15, 3 * DAY_MS);
    expect(text).toMatch(/its usual [0-9.]+ \(±[0-9.]+\) over 3 days/);
  });
});

describe('the names of a burst that did resolve (same shape as the failing ones)', () => {
  it('gives a registered domain its suffix and the pattern of its label', () => {
    expect(domainShape({ domain: 'gacyvah.com', suffix: 'com' })).toBe('com|CVCVCVC');
    expect(domainShape({ domain: 'vowyzuk.com', suffix: 'com' })).toBe('com|CVCVCVC');
    expect(domainShape({ domain: 'youtube.com', suffix: 'com' })).toBe('com|VVVCVCV');
    expect(domainShape({ domain: 'bbc.co.uk', suffix: 'co.uk' })).toBe('co.uk|CCC');
    expect(domainShape({ domain: 'web-2day.net', suffix: 'net' })).toBe('net|CVC-DCVV');
  });

  it("finds Simda's template in its failures, and the resolved names that follow it", () => {
    for (const client of [SIMDA_V6, SIMDA_V4]) {
      const c = windowOf(simda, client);
      expect(burstShape(c.failures)).toBe('com|CVCVCVC');
      expect(c.siblings.length).toBeGreaterThan(10);
      // Every sibling resolved in the capture, follows the template, and none of its lookups failed.
      const events = resolverLookups(dnsEvents(SIMDA_DNS)).filter((e) => e.client === client);
      for (const name of c.siblings) {
        const mine = events.filter((e) => e.name === name);
        expect(mine.some((e) => e.rcode === 'NOERROR')).toBe(true);
        expect(mine.some((e) => isFailure(e.rcode))).toBe(false);
        expect(name).toMatch(/^[bcdfghjklmnpqrstvwxz][aeiouy][bcdfghjklmnpqrstvwxz][aeiouy][bcdfghjklmnpqrstvwxz][aeiouy][bcdfghjklmnpqrstvwxz]\.com$/);
      }
    }
    // The v6 address resolved every name of the template that its resolver answered.
    const v6 = windowOf(simda, SIMDA_V6);
    const resolved = new Set(
      resolverLookups(dnsEvents(SIMDA_DNS))
        .filter((e) => e.client === SIMDA_V6 && e.rcode === 'NOERROR' && /^[a-z]{7}\.com$/.test(e.name!) && domainShape({ domain: e.name!, suffix: 'com' }) === 'com|CVCVCVC')
        .map((e) => e.name),
    );
    const failed = new Set(resolverLookups(dnsEvents(SIMDA_DNS)).filter((e) => e.client === SIMDA_V6 && isFailure(e.rcode)).map((e) => e.name));
    expect(new Set(v6.siblings)).toEqual(new Set([...resolved].filter((n) => !failed.has(n))));
  });

  it('finds no template among the names that ordinary clients fail to resolve, so names nothing of theirs', () => {
    // No ordinary client of the corpus fails under five domains in one window; all the failing names of the WRCCDC
    // and Kovter captures together, as if one client had failed them all at once, have no common shape (enough of
    // them to be judged: a shape needs five domains).
    const tally = new FailureTally();
    for (const file of [ZED_DNS, KOVTER_DNS]) {
      const events = resolverLookups(dnsEvents(file)).filter((e) => isFailure(e.rcode));
      for (const row of lookupRows(events)) tallyRow(tally, row);
    }
    const all = tally.summary();
    expect(all.domains).toBeGreaterThanOrEqual(MIN_SHAPE_DOMAINS);
    expect(burstShape(all)).toBeUndefined();
    for (const windows of [zed, kovter]) for (const c of windows.values()) expect(c.siblings).toEqual([]);
  });
});
