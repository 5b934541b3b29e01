import { isIP } from 'node:net';
import { DAY_MS } from '../../baseline/decay';
import { connPairs, dnsEvents, resolverLookups, SIMDA_CONN, SIMDA_DNS, SIMDA_V4, SIMDA_V6, WINDOW_MS } from './corpus.fixture';
import { expectation, MIN_HISTORY_WINDOWS } from './stats';
import { isConnectable, judgeUnused, learnUnused, MAX_UNUSED_SCORE, ResolvedNames, unusedExplanation, unusedNames, type UnusedState } from './unused';

const HALF_LIFE = 14 * DAY_MS;

/** The Simda capture's answers per client, as the answer sweep reads them (`dns.resolved_ip` holds addresses only). */
function resolved(): Map<string, ResolvedNames> {
  const out = new Map<string, ResolvedNames>();
  for (const e of resolverLookups(dnsEvents(SIMDA_DNS))) {
    for (const a of e.answers) {
      if (isIP(a) === 0) continue;
      let r = out.get(e.client);
      if (!r) out.set(e.client, (r = new ResolvedNames(e.client)));
      r.add(e.name!, a, 1, e.time);
    }
  }
  return out;
}

const conn = connPairs(SIMDA_CONN);
const connected = new Set(conn.map((c) => `${c.client}|${c.peer}`));
const simda = resolved();

describe('isConnectable', () => {
  it('refuses the answers nobody can connect to, such as the sinkhole answers of the Simda names', () => {
    const raw = resolverLookups(dnsEvents(SIMDA_DNS)).flatMap((e) => e.answers.filter((a) => isIP(a) !== 0));
    expect(raw).toContain('127.0.0.1');
    expect(isConnectable('127.0.0.1')).toBe(false);
    expect(raw).toContain('104.239.157.210');
    expect(isConnectable('104.239.157.210')).toBe(true);
    for (const a of ['0.0.0.0', '::', '::1', '224.0.0.251', 'ff02::fb', '255.255.255.255', '::ffff:127.0.0.1', 'not an address']) expect(isConnectable(a)).toBe(false);
    for (const r of simda.values()) for (const n of r.names.values()) for (const a of n.addresses) expect(isConnectable(a)).toBe(true);
  });
});

describe('unusedNames on the Simda capture', () => {
  it('finds what the IPv4 address resolved and never connected to, sinkholed names aside', () => {
    const v4 = simda.get(SIMDA_V4)!;
    const r = unusedNames(v4, (a) => connected.has(`${SIMDA_V4}|${a}`));
    // Names that resolved only to 127.0.0.1 cannot be judged; the rest were connected to over HTTP, except the
    // Windows connectivity probe's DNS check, which Windows never connects to.
    const sinkholed = [...v4.names.entries()].filter(([, n]) => n.addresses.length === 0).map(([name]) => name);
    expect(sinkholed.length).toBeGreaterThan(0);
    expect(r.judged).toBe(v4.names.size - sinkholed.length);
    expect(r.unused).toEqual(['dns.msftncsi.com']);
    for (const name of sinkholed) expect(r.unused).not.toContain(name);
  });

  it('does not judge a dual-stack host by the address it asked from when the answers are of the other family', () => {
    // The host asks over IPv6 and connects from 192.168.1.116: its IPv6 address connects to none of its answers,
    // yet they were used.
    const v6 = simda.get(SIMDA_V6)!;
    const answers = new Set([...v6.names.values()].flatMap((n) => n.addresses));
    expect(conn.filter((c) => c.client === SIMDA_V6 && answers.has(c.peer))).toEqual([]);
    const r = unusedNames(v6, (a) => connected.has(`${SIMDA_V6}|${a}`));
    const withV6Answer = [...v6.names.values()].filter((n) => n.addresses.some((a) => isIP(a) === 6)).length;
    expect(v6.names.size).toBeGreaterThan(100);
    expect(r.judged).toBe(withV6Answer);
    expect(r.judged).toBeLessThan(5);
    // Those IPv4 answers were used, from the other address.
    const usedFromV4 = [...v6.names.values()].filter((n) => n.addresses.some((a) => connected.has(`${SIMDA_V4}|${a}`))).length;
    expect(usedFromV4).toBeGreaterThan(20);
  });

  it('stops collecting a client at its cap and says how many names it left out', () => {
    const r = new ResolvedNames(SIMDA_V6);
    const events = resolverLookups(dnsEvents(SIMDA_DNS)).filter((e) => e.client === SIMDA_V6 && e.answers.length > 0);
    for (let i = 0; i < 30; i++) for (const e of events) r.add(`${i}.${e.name}`, e.answers.find((a) => isIP(a) !== 0) ?? '', 1, e.time);
    expect(r.names.size).toBe(2000);
    expect(r.skipped).toBeGreaterThan(0);
  });
});

describe('judgeUnused', () => {
  function steady(count: number, windows: number): UnusedState {
    let s: UnusedState | undefined;
    for (let i = 0; i < windows; i++) s = learnUnused(s, count + (i % 3), i * WINDOW_MS, HALF_LIFE);
    return s!;
  }

  it('judges nobody without the minimum history: ordinary rates vary too much for a prior', () => {
    expect(judgeUnused(500, undefined, 0, HALF_LIFE)).toBeUndefined();
    expect(judgeUnused(500, steady(2, MIN_HISTORY_WINDOWS - 2), (MIN_HISTORY_WINDOWS - 2) * WINDOW_MS, HALF_LIFE)).toBeUndefined();
  });

  it('reports a count far beyond the habit with a modest score, and small excesses not at all', () => {
    const s = steady(2, 100);
    const at = 100 * WINDOW_MS;
    expect(judgeUnused(8, s, at, HALF_LIFE)).toBeUndefined();
    const big = judgeUnused(119, s, at, HALF_LIFE)!;
    expect(big.expected.own).toBe(true);
    expect(big.score).toBeGreaterThan(60);
    expect(big.score).toBeLessThanOrEqual(MAX_UNUSED_SCORE);
    const moderate = judgeUnused(40, s, at, HALF_LIFE)!;
    expect(moderate.score).toBeLessThan(big.score);
  });

  it('explains with the count, the checked names, the usual figure and examples', () => {
    const v4 = simda.get(SIMDA_V4)!;
    const r = unusedNames(v4, () => false);
    const expected = expectation(steady(2, 100).names, 100 * WINDOW_MS, HALF_LIFE, MIN_HISTORY_WINDOWS, 5)!;
    const v = { score: 30, expected };
    const text = unusedExplanation(SIMDA_V4, r, v, 15, 2 * DAY_MS);
    expect(text).toContain(`${SIMDA_V4} resolved ${r.unused.length} names in 15 minutes without connecting to any of their addresses (of ${r.judged} it could have)`);
    expect(text).toMatch(/its usual [0-9.]+ \(±[0-9.]+\) over 2 days; e\.g\. /);
  });
});
