import { TUNNELING_ALERT_SCORE, TunnelAccumulator, tunnelingScore } from '../../features/domain';
import { clientWindows, dnsEvents, resolverLookups, SIMDA_DNS, ZED_DNS } from './corpus.fixture';
import { tunnelDomainKeys } from './index';
import {
  familiarity,
  learnedNormal,
  learnTunnel,
  mergeTunnelStates,
  NORMAL_AFTER_CLIENTS,
  NORMAL_AFTER_DAYS,
  tunnelAnomalyScore,
  tunnelCandidate,
  tunnelExplanation,
  type TunnelDomainState,
} from './tunnel';

const DAY = 20_000;
const NOT_FLAGGED = { accepted: false, tainted: false };

describe('tunnel candidates on real traffic', () => {
  it('finds none among ordinary lookups or a DGA bot, whose names are spread over many domains', () => {
    for (const file of [ZED_DNS, SIMDA_DNS]) {
      const windows = [...clientWindows(file).values()];
      expect(windows.length).toBeGreaterThan(0);
      for (const c of windows) expect(c.tunnels).toEqual([]);
    }
  });

  it('leaves the hex names of a telemetry domain below the alert level: few of them per window', () => {
    // footprintdns.com: Microsoft's `<32 hex>.clo.footprintdns.com` probes, high-entropy names of six WRCCDC hosts.
    const acc = new TunnelAccumulator('footprintdns.com');
    const events = resolverLookups(dnsEvents(ZED_DNS)).filter((e) => e.name!.endsWith('.footprintdns.com'));
    for (const e of events) acc.add(e.name!, e.qtype);
    expect(acc.stats().longestLabel).toBe(32);
    expect(tunnelingScore(acc.stats())).toBeGreaterThan(0);
    expect(tunnelCandidate(acc, events.length, events[0].time)).toBeUndefined();
  });
});

describe('what the organisation learns of a domain', () => {
  it('becomes normal after enough earlier days, not after many windows of one day', () => {
    let s: TunnelDomainState | undefined;
    for (let w = 0; w < 50; w++) s = learnTunnel(s, DAY, '10.0.0.1', 0.8);
    expect(s!.days).toEqual([DAY]);
    expect(s!.windows).toBe(50);
    expect(familiarity(s, DAY, '10.0.0.1', NOT_FLAGGED)).toEqual({ earlierDays: 0, otherClients: 0, normal: false });
    for (let d = 1; d < NORMAL_AFTER_DAYS; d++) s = learnTunnel(s, DAY + d, '10.0.0.1', 0.8);
    expect(familiarity(s, DAY + NORMAL_AFTER_DAYS - 1, '10.0.0.1', NOT_FLAGGED).normal).toBe(false);
    expect(familiarity(s, DAY + NORMAL_AFTER_DAYS, '10.0.0.1', NOT_FLAGGED).normal).toBe(true);
    expect(learnedNormal(s!)).toBe(true);
  });

  it('becomes normal when enough other clients did the same, which a tunnel of one host never does', () => {
    let s: TunnelDomainState | undefined;
    for (let i = 1; i <= NORMAL_AFTER_CLIENTS; i++) s = learnTunnel(s, DAY, `10.0.0.${i}`, 0.6);
    // The clients that taught it are each one short of the others they need; a new client is not.
    expect(familiarity(s, DAY, '10.0.0.1', NOT_FLAGGED)).toMatchObject({ otherClients: NORMAL_AFTER_CLIENTS - 1, normal: false });
    expect(familiarity(s, DAY, '10.0.0.99', NOT_FLAGGED)).toMatchObject({ otherClients: NORMAL_AFTER_CLIENTS, normal: true });
  });

  it('never makes a tainted domain normal, and makes an accepted one normal at once', () => {
    let s: TunnelDomainState | undefined;
    for (let d = 0; d < 10; d++) s = learnTunnel(s, DAY + d, '10.0.0.1', 0.9);
    expect(familiarity(s, DAY + 10, '10.0.0.1', { accepted: false, tainted: true }).normal).toBe(false);
    expect(familiarity(undefined, DAY, '10.0.0.1', { accepted: true, tainted: false }).normal).toBe(true);
  });

  it('merges what the partitions learned', () => {
    const a = learnTunnel(learnTunnel(undefined, DAY, '10.0.0.1', 0.6), DAY + 1, '10.0.0.1', 0.7);
    const b = learnTunnel(undefined, DAY + 1, '10.0.0.2', 0.9);
    expect(mergeTunnelStates([a, undefined, b])).toEqual({ days: [DAY, DAY + 1], clients: ['10.0.0.1', '10.0.0.2'], windows: 3, peak: 0.9 });
    expect(mergeTunnelStates([undefined])).toBeUndefined();
  });

  it('gives each partition its own document of a domain and lets it read all of them', () => {
    expect(tunnelDomainKeys('example.com', { index: 0, count: 1 })).toEqual(['example.com']);
    const keys = tunnelDomainKeys('example.com', { index: 1, count: 3 });
    expect(new Set(keys).size).toBe(3);
    expect(keys.every((k) => k.startsWith('example.com|'))).toBe(true);
  });
});

describe('tunnelAnomalyScore', () => {
  const fresh = { earlierDays: 0, otherClients: 0, normal: false };

  it('puts the tunneling alert level at the default alert score and grows with the tunneling score', () => {
    expect(tunnelAnomalyScore(TUNNELING_ALERT_SCORE, fresh)).toBeGreaterThanOrEqual(60);
    expect(tunnelAnomalyScore(TUNNELING_ALERT_SCORE, fresh)).toBeLessThan(65);
    expect(tunnelAnomalyScore(0.7, fresh)).toBeGreaterThan(tunnelAnomalyScore(0.6, fresh));
    expect(tunnelAnomalyScore(1, fresh)).toBeGreaterThanOrEqual(95);
  });

  it('lowers the score as the domain nears normal, and gives nothing once it is', () => {
    const once = tunnelAnomalyScore(0.8, { earlierDays: 1, otherClients: 0, normal: false });
    const twice = tunnelAnomalyScore(0.8, { earlierDays: 2, otherClients: 1, normal: false });
    expect(once).toBeLessThan(tunnelAnomalyScore(0.8, fresh));
    expect(twice).toBeLessThan(once);
    expect(twice).toBeGreaterThanOrEqual(0.75 * tunnelAnomalyScore(0.8, fresh) - 0.1);
    expect(tunnelAnomalyScore(0.8, { earlierDays: 3, otherClients: 0, normal: true })).toBe(0);
  });
});

describe('tunnelExplanation', () => {
  it('states the names, their information, the score and the history of the domain', () => {
    const acc = new TunnelAccumulator('footprintdns.com');
    const events = resolverLookups(dnsEvents(ZED_DNS)).filter((e) => e.name!.endsWith('.footprintdns.com'));
    for (const e of events) acc.add(e.name!, e.qtype);
    const stats = acc.stats();
    const c = { domain: 'footprintdns.com', stats, tunneling: tunnelingScore(stats), lookups: events.length, first: events[0].time };
    const text = tunnelExplanation('10.47.6.10', c, { earlierDays: 1, otherClients: 2, normal: false }, 15, ['example.net']);
    expect(text).toContain(`10.47.6.10 looked up ${stats.uniqueSubdomains} distinct names under footprintdns.com in 15 minutes (${events.length} lookups)`);
    expect(text).toContain('labels up to 32 characters');
    expect(text).toContain('on 1 earlier day and for 2 other clients');
    expect(text).toContain('also example.net');
    expect(text).not.toContain('TXT');
  });
});
