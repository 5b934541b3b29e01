import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { isGlobalUnicast } from '../rare-destination';
import {
  addPeer,
  isTransportWeird,
  judgeViolation,
  MIN_PEERS,
  newViolation,
  nextDeviceState,
  othersShowing,
  type ProtocolDeviceState,
  type ProtocolOrgState,
  type ProtocolVerdict,
  type Violation,
} from '.';

const WINDOW_MS = 15 * 60_000;
const HALF_LIFE = 7 * 86_400_000;
const LABELED = 'labeled/stratosphere-security-datasets';
const KOVTER = '192.168.1.113';

/**
 * The windows of a real weird.log as the model's outbound sweep gives them: per 15-minute window, the violations of
 * each local originator towards global unicast peers, transport weirds left out.
 */
function windowsOf(relative: string, local: string[]): Violation[][] {
  const isLocal = localNetworkMatcher(local);
  const byWindow = new Map<number, Map<string, Violation>>();
  for (const r of readZeekLog(relative)) {
    const f = r.fields as Record<string, unknown>;
    const device = String(f['id.orig_h']);
    const peer = String(f['id.resp_h']);
    const name = String(f.name);
    if (!isLocal(device) || isTransportWeird(name) || peer === device) continue;
    if (!isLocal(peer) && !isGlobalUnicast(peer)) continue;
    const ts = Number(f.ts) * 1000;
    const w = Math.floor(ts / WINDOW_MS);
    let violations = byWindow.get(w);
    if (!violations) byWindow.set(w, (violations = new Map()));
    const direction = isLocal(peer) ? 'internal' : 'outbound';
    const key = `${device}|${direction}|${name}`;
    let v = violations.get(key);
    if (!v) violations.set(key, (v = newViolation(device, name, direction)));
    addPeer(v, { peer, port: Number(f['id.resp_p']), count: 1, first: ts });
  }
  return [...byWindow].sort((a, b) => a[0] - b[0]).map(([, m]) => [...m.values()]);
}

interface Judged {
  v: Violation;
  peers: number;
  verdict: ProtocolVerdict;
}

/** The judgement, window by window, with the device states learned as the model learns them. */
function replay(windows: Violation[][]): Judged[] {
  const states = new Map<string, ProtocolDeviceState>();
  const judged: Judged[] = [];
  for (const window of windows) {
    for (const v of window) {
      const key = `${v.direction}|${v.name}`;
      const state = states.get(v.device);
      const peers = v.peers.size;
      if (peers >= MIN_PEERS) judged.push({ v, peers, verdict: judgeViolation(state?.violations[key], peers, 0) });
      states.set(v.device, nextDeviceState(state, key, peers, v.first, HALF_LIFE));
    }
  }
  return judged;
}

describe('protocol violations on a real day of Kovter (009)', () => {
  const windows = windowsOf(`${LABELED}/009-zeek-malicious/data/weird.log.labeled`, ['192.168.0.0/16']);
  const judged = replay(windows);
  const spray = judged.filter((j) => j.v.name === 'bad_HTTP_request');

  it('alerts the first window the infected host sends junk to many web servers, then keeps the rest as observations', () => {
    expect(spray.length).toBeGreaterThan(90);
    expect(spray[0].verdict.novel).toBe(true);
    expect(spray[0].verdict.score).toBeGreaterThanOrEqual(60);
    expect(spray[0].v.device).toBe(KOVTER);
    // The same behaviour all day long is one alert, not ninety-six: the later windows are background for the incident.
    const alerts = judged.filter((j) => j.verdict.score >= 60);
    expect(alerts.length).toBeLessThanOrEqual(3);
    for (const j of spray.slice(1)) expect(j.verdict.score).toBeLessThan(60);
  });

  it('names every web server the host sent junk to, across the windows it wrote', () => {
    const named = new Set(spray.flatMap((j) => [...j.v.peers.keys()]));
    // Every destination of a bad_HTTP_request weird in the log, computed with the same rules.
    const expected = new Set<string>();
    for (const r of readZeekLog(`${LABELED}/009-zeek-malicious/data/weird.log.labeled`)) {
      const f = r.fields as Record<string, unknown>;
      if (f.name === 'bad_HTTP_request' && f['id.orig_h'] === KOVTER) expected.add(String(f['id.resp_h']));
    }
    expect(expected.size).toBeGreaterThan(1000);
    const missed = [...expected].filter((ip) => !named.has(ip));
    // Only windows with fewer than MIN_PEERS hosts go unwritten.
    expect(missed.length).toBeLessThan(expected.size * 0.02);
  });

  it('judges a window with many times the usual peers a surge, and the usual one not', () => {
    let state: ProtocolDeviceState | undefined;
    for (const w of windows) for (const v of w) if (v.name === 'bad_HTTP_request') state = nextDeviceState(state, `outbound|${v.name}`, v.peers.size, v.first, HALF_LIFE);
    const learned = state!.violations['outbound|bad_HTTP_request'];
    const usual = Math.round(learned.stats.mean);
    expect(judgeViolation(learned, usual, 0).surge).toBe(false);
    const surge = judgeViolation(learned, usual * 5, 0);
    expect(surge.surge).toBe(true);
    expect(surge.score).toBeGreaterThanOrEqual(60);
  });

  it('scores a violation other devices of the organisation show too lower', () => {
    const alone = judgeViolation(undefined, 10, 0).score;
    const common = judgeViolation(undefined, 10, 5).score;
    expect(common).toBeLessThan(alone);
    expect(common).toBeLessThan(60);
    const org: ProtocolOrgState = { names: { bad_HTTP_request: { '10.0.0.1': [0, 0], '10.0.0.2': [0, 0], [KOVTER]: [0, 0] } } };
    expect(othersShowing(org, 'bad_HTTP_request', KOVTER, 3_600_000, HALF_LIFE)).toBe(2);
    // Devices that showed it long ago are forgotten.
    expect(othersShowing(org, 'bad_HTTP_request', KOVTER, 60 * 86_400_000, HALF_LIFE)).toBe(0);
  });
});

describe('protocol violations on real days of ordinary computers (008, 010, 011, 012)', () => {
  it.each(['008-zeek-mixed', '010-zeek-mixed', '011-zeek-mixed', '012-zeek-mixed'])('%s: the weirds of the day are transport noise, and nothing alerts', (scenario) => {
    const relative = `${LABELED}/${scenario}/data/weird.log.labeled`;
    let weirds = 0;
    let transport = 0;
    for (const r of readZeekLog(relative)) {
      weirds++;
      if (isTransportWeird(String((r.fields as Record<string, unknown>).name))) transport++;
    }
    expect(weirds).toBeGreaterThan(30);
    expect(transport / weirds).toBeGreaterThan(0.8);
    const judged = replay(windowsOf(relative, ['147.32.0.0/16']));
    expect(judged.filter((j) => j.verdict.score >= 60)).toEqual([]);
  });

  it('keeps content weirds and leaves out transport ones', () => {
    for (const name of ['bad_HTTP_request', 'unknown_HTTP_method', 'line_terminated_with_single_CR', 'binpac exception: out_of_bound: SSLRecord:length: 13 > 9']) expect(isTransportWeird(name)).toBe(false);
    for (const name of ['data_before_established', 'possible_split_routing', 'TCP_ack_underflow_or_misorder', 'dns_unmatched_msg', 'DNS_Conn_count_too_large', 'bad_TCP_checksum']) expect(isTransportWeird(name)).toBe(true);
  });
});
