import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { isGlobalUnicast } from '../rare-destination';
import { addBucket, ANSWERED_STATES, judgeInbound, MAX_NAMED, nextState, worthWriting, type InboundState, type Reached } from '.';

const WINDOW_MS = 15 * 60_000;
const HALF_LIFE = 7 * 86_400_000;
const DEVICE = '147.32.81.167';
const isLocal = localNetworkMatcher(['147.32.0.0/16']);

/**
 * The windows of a real capture as the model's sweep gives them: connections that an external address opened to
 * the device (the originator's SYN first, or its data for UDP; not a reply from a service port), folded per
 * 15-minute window.
 */
function windowsOf(relative: string, device: string): Reached[] {
  const byWindow = new Map<number, Reached>();
  for (const r of readZeekLog(relative)) {
    const f = r.fields as Record<string, unknown>;
    const source = String(f['id.orig_h']);
    if (f['id.resp_h'] !== device || isLocal(source) || !isGlobalUnicast(source)) continue;
    const history = String(f.history ?? '');
    if (!history.startsWith('S') && !(history.startsWith('D') && f.proto !== 'tcp')) continue;
    if (Number(f['id.orig_p']) < 1024 && Number(f['id.resp_p']) >= 1024) continue;
    if (['icmp', 'ipv6-icmp', 'icmp6'].includes(String(f.proto))) continue;
    const ts = Number(f.ts) * 1000;
    const w = Math.floor(ts / WINDOW_MS);
    let reached = byWindow.get(w);
    if (!reached) byWindow.set(w, (reached = { device, sources: new Map(), untracked: 0, ports: new Map(), connections: 0, first: Infinity }));
    const answered = ANSWERED_STATES.includes(String(f.conn_state)) ? 1 : 0;
    addBucket(reached, { source, port: Number(f['id.resp_p']), transport: String(f.proto), connections: 1, answered, first: ts });
  }
  return [...byWindow].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

function replay(windows: Reached[]) {
  let state: InboundState | undefined;
  return windows.map((r) => {
    const answered = [...r.ports].filter(([, p]) => p.answered.size > 0).map(([k]) => k);
    const verdict = judgeInbound(state, r.sources.size, answered);
    state = nextState(state, r.sources.size, answered, r.first, HALF_LIFE);
    return { r, verdict, state };
  });
}

describe('inbound on a real day of a computer reached from the internet (008)', () => {
  const windows = windowsOf('labeled/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled', DEVICE);
  const judged = replay(windows);

  it('alerts when the internet first reaches the device, then takes the usual probing for background', () => {
    expect(windows.length).toBeGreaterThan(90);
    expect(judged[0].verdict.firstReach).toBe(true);
    expect(judged[0].verdict.score).toBeGreaterThanOrEqual(60);
    const alerts = judged.filter((j) => j.verdict.score >= 60);
    // A day of background probing: the first reach and the first services answered, a handful in all.
    expect(alerts.length).toBeLessThanOrEqual(6);
    const background = judged.filter((j) => j.verdict.kind === 'inbound' && !j.verdict.firstReach && !j.verdict.surge);
    expect(background.length).toBeGreaterThan(80);
    for (const j of background) expect(j.verdict.score).toBeLessThan(60);
  });

  it('reports each port the device answered external addresses on once, as an exposed service', () => {
    const exposed = judged.filter((j) => j.verdict.kind === 'exposed_service');
    const ports = exposed.flatMap((j) => j.verdict.newPorts);
    // The capture's computer completed handshakes with internet clients on 2000/tcp, 5060/tcp and 8008/tcp (SF, S1,
    // S2 and RST-after-handshake records); everything else it received went unanswered.
    expect(new Set(ports)).toEqual(new Set(['2000/tcp', '5060/tcp', '8008/tcp']));
    expect(ports.length).toBe(new Set(ports).size);
    for (const j of exposed) expect(j.verdict.score).toBeGreaterThanOrEqual(66);
    expect(Object.keys(judged[judged.length - 1].state.exposed).sort()).toEqual(['2000/tcp', '5060/tcp', '8008/tcp']);
  });

  it('judges a window with many times the usual addresses a surge, against the learned mean', () => {
    const learned = judged[judged.length - 1].state;
    const usual = Math.round(learned.stats.mean);
    expect(judgeInbound(learned, usual, []).surge).toBe(false);
    const surge = judgeInbound(learned, usual * 4, []);
    expect(surge.surge).toBe(true);
    expect(surge.score).toBeGreaterThanOrEqual(60);
    // A port already exposed is not news again.
    expect(judgeInbound(learned, usual, ['8008/tcp']).kind).toBe('inbound');
    expect(judgeInbound(learned, usual, ['502/tcp']).kind).toBe('exposed_service');
  });

  it('scores an OT device reached from the internet above an IT one, on its first reach and on a first exposed service', () => {
    const first = windows[0];
    const it = judgeInbound(undefined, first.sources.size, []);
    const ot = judgeInbound(undefined, first.sources.size, [], true);
    expect(ot.score).toBeGreaterThan(it.score);
    expect(ot.score).toBeGreaterThanOrEqual(75);
    const learned = judged[judged.length - 1].state;
    expect(judgeInbound(learned, 30, ['502/tcp'], true).score).toBeGreaterThan(judgeInbound(learned, 30, ['502/tcp']).score);
    // The usual background stays background, OT or not: the first reach was the alert.
    expect(judgeInbound(learned, Math.round(learned.stats.mean), [], true).score).toBeLessThan(60);
  });

  it('writes the usual use of an exposed service no more, but every probe of another port', () => {
    const learned = judged[judged.length - 1].state;
    const usual = Math.round(learned.stats.mean);
    const served = judgeInbound(learned, usual, ['8008/tcp']);
    expect(worthWriting(served, ['8008/tcp'], learned)).toBe(false);
    expect(worthWriting(served, ['8008/tcp', '23/tcp'], learned)).toBe(true);
    expect(worthWriting(judgeInbound(learned, usual * 4, ['8008/tcp']), ['8008/tcp'], learned)).toBe(true);
    // On the real day, every window reached the computer on ports it does not serve: all are written.
    expect(judged.every((j, i) => worthWriting(j.verdict, j.r.ports.keys(), i === 0 ? undefined : judged[i - 1].state))).toBe(true);
  });

  it('names the addresses of a window, and counts each once across ports', () => {
    const busiest = [...windows].sort((a, b) => b.sources.size - a.sources.size)[0];
    const pairs = [...busiest.ports.values()].reduce((n, p) => n + p.connections, 0);
    expect(pairs).toBe(busiest.connections);
    expect(busiest.sources.size).toBeLessThanOrEqual(MAX_NAMED);
    expect(busiest.sources.size).toBeGreaterThan(10);
  });
});
