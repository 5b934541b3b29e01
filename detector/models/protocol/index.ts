import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, emptyStats, observe, robustZ, scoreFrom, spreadOf, type EwStats } from '../../baseline/decay';
import { compositePages, firstTime, windowQuery } from '../../query/composite';
import { CONN_INDEX, str } from '../conn-query';
import { formatCount, listing, plural, round } from '../format';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import { contactWeight, FORGET_WEIGHT, formatAgo, isGlobalUnicast, withContact } from '../rare-destination';

/**
 * Protocol violations: a device whose traffic the sensor's protocol analyzers could not make sense of, with many
 * peers in one window. Zeek writes a "weird" (`weird.log`) when a connection breaks the protocol it speaks: a request
 * that is not HTTP sent to a web server (`bad_HTTP_request`), an unknown method, a TLS record that does not parse.
 * One such connection is a buggy client; the same violation towards many hosts is a tool or malware speaking its
 * own protocol over a well-known port (Kovter's junk requests to hundreds of web servers, exploit and scanning
 * kits), which is what this model reports.
 *
 * Violations are grouped per local device, weird name and direction: `outbound` (the device opened connections to
 * external hosts), `internal` (to local hosts) and `inbound` (external hosts opened connections to the device). Each
 * device's baseline (`device`) keeps, per weird name and direction, the decayed mean and spread of the peers per
 * window in which the violation occurs, and when the device first showed it; the organisation's baseline keeps which
 * devices show each violation, so that one every device shows (a quirk of a common client) weighs less.
 *
 * Each violation with at least `MIN_PEERS` distinct peers in a window is judged: alert-worthy when the device never
 * showed it (higher with more peers, lower when other devices of the organisation show it too) or shows it to far
 * more peers than usual (robust z-score); otherwise an observation, which joins the device's open incident, so that
 * the incident names every host the device sprayed while it was open. Fewer peers are learned and not written. One
 * anomaly (`protocol_violation`) per device, direction and window: the violation that scores highest leads, the
 * others are listed with it. Weirds of the transport and of the capture itself (TCP state, checksums, fragments,
 * split routing, unmatched DNS messages) say nothing about what a device meant to send and are left out, in the
 * query (`TRANSPORT_WEIRD_PREFIXES`).
 *
 * Every anomaly names the peers of its window (`related.ip`, the most frequent first, up to `MAX_NAMED`).
 */

export const MODEL_ID = 'protocol' as const;

export type Direction = 'outbound' | 'internal' | 'inbound';

export interface ViolationState {
  /** Distinct peers per window in which the device showed the violation. */
  stats: EwStats;
  /** When the device first showed it. */
  first: number;
}

export interface ProtocolDeviceState {
  /** Per `direction|weird name`. */
  violations: Record<string, ViolationState>;
}

export interface ProtocolOrgState {
  /** Per weird name: the devices that showed it, with the first and last time each did (as rare destination's contacts). */
  names: Record<string, Record<string, [number, number]>>;
}

/** Distinct peers in a window from which a violation is judged and written. */
export const MIN_PEERS = 3;
/** Windows of history before a device's count of peers is judged against its own mean. */
export const MIN_WINDOWS = 4;
export const MIN_Z = 4;
export const MIN_SURGE_PEERS = 10;
const MIN_SPREAD = 3;
/** Peers an anomaly names, the most frequent first. */
export const MAX_NAMED = 1000;
/** Peers tracked per device, name and window. */
const MAX_TRACKED = 50_000;
const DEVICE_CAP = 64;
const ORG_NAMES_CAP = 512;
const ORG_DEVICES_CAP = 16;

/**
 * Weirds about the transport or the capture rather than the content a peer sent: TCP and IP state, checksums,
 * fragments, tunnels, asymmetric routing, packets the sensor lost or could not decode, DNS messages without a match.
 */
export const TRANSPORT_WEIRD_PREFIXES: readonly string[] = [
  'TCP_', 'SYN_', 'FIN_', 'RST_', 'UDP_', 'ICMP_', 'ip_', 'IP_', 'ipv6_', 'IPv6_', 'fragment', 'excessively_',
  'truncated_', 'internally_truncated', 'bad_TCP_checksum', 'bad_UDP_checksum', 'bad_ICMP_checksum',
  'bad_IP_checksum', 'bad_ICMP6_checksum', 'data_before_established', 'possible_split_routing', 'above_hole',
  'window_recision', 'active_connection_reuse', 'inappropriate_FIN', 'connection_originator_SYN_ack',
  'data_after_reset', 'unknown_protocol', 'unknown_packet_type', 'invalid_inner_IP', 'DNS_Conn_count_too_large',
  'dns_unmatched_', 'baroque_SYN', 'double_SYN', 'repeated_SYN', 'spontaneous_', 'premature_connection_reuse',
  'Teredo_', 'GRE_', 'gre_', 'content_gap', 'non_ip_packet', 'ayiya_', 'vxlan_', 'geneve_', 'pppoe_', 'mpls_',
  'vlan_', 'ethertype_', 'bad_IP_', 'unknown_ether', 'no_ip_', 'nflog_', 'ack_above_hole', 'pia_',
];

export function isTransportWeird(name: string): boolean {
  return TRANSPORT_WEIRD_PREFIXES.some((p) => name.startsWith(p));
}

/** The same, as a query clause: transport weirds are left out by Elasticsearch, not after the aggregation. */
const NOT_TRANSPORT_WEIRD: Record<string, unknown> = { bool: { must_not: TRANSPORT_WEIRD_PREFIXES.map((p) => ({ prefix: { 'rule.name': p } })) } };

interface Peer {
  ip: string;
  count: number;
  first: number;
}

export interface Violation {
  device: string;
  name: string;
  direction: Direction;
  peers: Map<string, Peer>;
  untracked: number;
  /** Weirds per destination port (the device's side for inbound). */
  ports: Map<number, number>;
  count: number;
  first: number;
}

export interface ProtocolVerdict {
  score: number;
  novel: boolean;
  surge: boolean;
  z?: number;
  /** Other devices of the organisation that show the same violation. */
  others: number;
}

/** The judgement of one window's violation against the device's history of it (undefined: never shown). */
export function judgeViolation(state: ViolationState | undefined, peers: number, others: number): ProtocolVerdict {
  const history = state !== undefined && state.stats.weight >= MIN_WINDOWS;
  const z = history ? round(robustZ(state.stats, peers, MIN_SPREAD)) : undefined;
  const surge = z !== undefined && z >= MIN_Z && peers >= MIN_SURGE_PEERS;
  if (state === undefined) {
    const common = others >= 3 ? 0.75 : others >= 1 ? 0.9 : 1;
    return { score: round(Math.min(80, 58 + 10 * Math.log10(peers)) * common, 1), novel: true, surge, z, others };
  }
  if (surge) return { score: Math.max(60, scoreFrom(z!, 5, 1.5)), novel: false, surge, z, others };
  return { score: history ? Math.min(45, scoreFrom(z!, 5, 1.5)) : 35, novel: false, surge, z, others };
}

/** The device's state after a window: one more observation of the violation's peer count (the stalest entry makes room past the cap). */
export function nextDeviceState(state: ProtocolDeviceState | undefined, key: string, peers: number, at: number, halfLifeMs: number): ProtocolDeviceState {
  const violations = { ...(state?.violations ?? {}) };
  const mine = violations[key];
  if (!mine && Object.keys(violations).length >= DEVICE_CAP) {
    const [stalest] = Object.entries(violations).sort((a, b) => a[1].stats.t - b[1].stats.t)[0];
    delete violations[stalest];
  }
  violations[key] = { stats: observe(mine?.stats ?? emptyStats(), peers, at, halfLifeMs), first: mine?.first ?? at };
  return { violations };
}

/** Other devices that showed `name` and have not faded (about four half-lives). */
export function othersShowing(org: ProtocolOrgState | undefined, name: string, device: string, at: number, halfLifeMs: number): number {
  let others = 0;
  for (const [d, c] of Object.entries(org?.names[name] ?? {})) if (d !== device && contactWeight(c, at, halfLifeMs) >= FORGET_WEIGHT) others++;
  return others;
}

function withDevice(org: ProtocolOrgState, name: string, device: string, at: number, halfLifeMs: number): void {
  const devices = org.names[name];
  if (!devices && Object.keys(org.names).length >= ORG_NAMES_CAP) return;
  org.names[name] = withContact(devices ?? {}, device, at, halfLifeMs, ORG_DEVICES_CAP);
}

export function newViolation(device: string, name: string, direction: Direction): Violation {
  return { device, name, direction, peers: new Map(), untracked: 0, ports: new Map(), count: 0, first: Number.POSITIVE_INFINITY };
}

export function addPeer(v: Violation, b: { peer: string; port: number; count: number; first: number }): void {
  v.count += b.count;
  v.first = Math.min(v.first, b.first);
  v.ports.set(b.port, (v.ports.get(b.port) ?? 0) + b.count);
  const p = v.peers.get(b.peer);
  if (p) {
    p.count += b.count;
    p.first = Math.min(p.first, b.first);
  } else if (v.peers.size < MAX_TRACKED) v.peers.set(b.peer, { ip: b.peer, count: b.count, first: b.first });
  else v.untracked++;
}

const TECHNIQUES: Record<Direction, Array<{ id: string; name: string }>> = {
  outbound: [
    { id: 'T1071', name: 'Application Layer Protocol' },
    { id: 'T1001.001', name: 'Data Obfuscation: Junk Data' },
  ],
  internal: [
    { id: 'T1046', name: 'Network Service Discovery' },
    { id: 'T1210', name: 'Exploitation of Remote Services' },
  ],
  inbound: [
    { id: 'T1595', name: 'Active Scanning' },
    { id: 'T1190', name: 'Exploit Public-Facing Application' },
  ],
};

export class ProtocolModel implements DetectionModel {
  readonly id = MODEL_ID;

  async run(ctx: ModelContext): Promise<void> {
    const local = [...ctx.config.networks.local];
    if (local.length === 0 || !hasEvents(ctx, 'zeek.weird')) return;
    const orgKey = ctx.partition.count === 1 ? 'organisation' : `organisation#${ctx.partition.name}`;
    const org = await ctx.baselines.get<ProtocolOrgState>(MODEL_ID, 'organisation', orgKey);
    if (alreadyLearned(org, ctx.window.start)) return;
    const next: ProtocolOrgState = { names: { ...(org?.state.names ?? {}) } };
    const run: Run = { ctx, org: org?.state, next, seen: false, learned: new Map() };
    // Connections the device opened, keyed by the device; then connections external hosts opened to it.
    await this.sweep(run, 'source.ip', 'destination.ip', { terms: { 'source.ip': local } });
    await this.sweep(run, 'destination.ip', 'source.ip', { terms: { 'destination.ip': local } }, { bool: { must_not: [{ terms: { 'source.ip': local } }] } });
    // One baseline write per device, however many violations and sweeps it showed up in.
    for (const [device, l] of run.learned) {
      const ref = { model: MODEL_ID, kind: 'device', entity: { type: 'host', id: device }, key: device };
      ctx.baselines.put(learnedBaseline(ctx, ref, l.base, l.first, l.state, { lastSeen: Math.max(l.base?.last_seen ?? 0, l.first) }));
    }
    ctx.count(0, run.learned.size);
    if (run.seen) {
      const ref = { model: MODEL_ID, kind: 'organisation', entity: { type: 'organisation', id: 'organisation' }, key: orgKey };
      ctx.baselines.put(learnedBaseline(ctx, ref, org, ctx.window.start, next));
    }
    await ctx.baselines.flush();
  }

  private async sweep(run: Run, deviceField: string, peerField: string, ...filters: Array<Record<string, unknown>>): Promise<void> {
    const { ctx } = run;
    const inbound = deviceField === 'destination.ip';
    const query = windowQuery(ctx.window.start, ctx.window.end, { term: { 'event.dataset': 'zeek.weird' } }, { exists: { field: peerField } }, NOT_TRANSPORT_WEIRD, ...filters);
    // A device's buckets may go on in the next page: it is judged with the next page's devices.
    let open: Map<string, Violation> | undefined;
    let openDevice: string | undefined;
    for await (const page of compositePages(ctx.client, {
      index: CONN_INDEX,
      query,
      size: ctx.config.detector.pageSize,
      sources: [
        { device: { terms: { field: deviceField } } },
        { name: { terms: { field: 'rule.name' } } },
        { peer: { terms: { field: peerField } } },
        { port: { terms: { field: 'destination.port', missing_bucket: true } } },
      ],
      aggs: { first: { min: { field: '@timestamp' } } },
    })) {
      const done: Violation[] = [];
      for (const b of page) {
        const device = str(b.key.device);
        const name = str(b.key.name);
        const peer = str(b.key.peer);
        if (device === undefined || name === undefined || peer === undefined || isTransportWeird(name)) continue;
        if (!ctx.isLocal(device) || !ctx.partition.owns(device) || peer === device) continue;
        const peerLocal = ctx.isLocal(peer);
        // Multicast and broadcast peers are the device's own stack talking to everyone.
        if (!peerLocal && !isGlobalUnicast(peer)) continue;
        const direction: Direction = inbound ? 'inbound' : peerLocal ? 'internal' : 'outbound';
        if (device !== openDevice) {
          if (open) done.push(...open.values());
          open = new Map();
          openDevice = device;
        }
        const key = `${direction}|${name}`;
        let v = open!.get(key);
        if (!v) open!.set(key, (v = newViolation(device, name, direction)));
        addPeer(v, { peer, port: Number(b.key.port ?? 0), count: b.doc_count, first: firstTime(b, ctx.window.start) });
      }
      if (done.length > 0) await this.judge(run, done);
    }
    if (open) await this.judge(run, [...open.values()]);
  }

  private async judge(run: Run, violations: Violation[]): Promise<void> {
    const { ctx, org, next } = run;
    const { window } = ctx;
    run.seen = true;
    const devices = [...new Set(violations.map((v) => v.device))];
    const known = await ctx.baselines.getMany<ProtocolDeviceState>(MODEL_ID, 'device', devices.filter((d) => !run.learned.has(d)));
    const judged = new Map<string, Judged[]>();
    for (const v of violations) {
      // A device seen by both sweeps is being learned in this run: that is not a re-run of the window.
      const mine = run.learned.get(v.device);
      const b = mine ? mine.base : known.get(v.device);
      if (!mine && alreadyLearned(b, window.start)) continue;
      const current = mine ? mine.state : b?.state;
      const key = `${v.direction}|${v.name}`;
      const state = current?.violations[key];
      const peers = v.peers.size + v.untracked;
      if (peers >= MIN_PEERS) {
        const group = `${v.device}|${v.direction}`;
        const verdict = judgeViolation(state, peers, othersShowing(org, v.name, v.device, v.first, ctx.halfLifeMs));
        judged.set(group, [...(judged.get(group) ?? []), { v, peers, verdict, state, history: b?.observations, since: b?.first_seen }]);
      }
      const learn = ctx.maintenance.mayLearn(MODEL_ID, [v.device], window.start) && !ctx.feedback.isTainted(MODEL_ID, v.device);
      if (!learn) continue;
      withDevice(next, v.name, v.device, v.first, ctx.halfLifeMs);
      run.learned.set(v.device, { base: b, state: nextDeviceState(current, key, peers, v.first, ctx.halfLifeMs), first: Math.min(mine?.first ?? v.first, v.first) });
    }
    for (const group of judged.values()) this.emit(ctx, group);
  }

  /** One anomaly per device and direction: the violation that scores highest leads, the others are listed with it. */
  private emit(ctx: ModelContext, group: Judged[]): void {
    const { window } = ctx;
    group.sort((a, c) => c.verdict.score - a.verdict.score || c.peers - a.peers);
    const lead = group[0];
    const { v, verdict, state } = lead;
    const peerCounts = new Map<string, number>();
    for (const j of group) for (const p of j.v.peers.values()) peerCounts.set(p.ip, (peerCounts.get(p.ip) ?? 0) + p.count);
    const sorted = [...peerCounts].sort((a, c) => c[1] - a[1] || (a[0] < c[0] ? -1 : a[0] > c[0] ? 1 : 0));
    const named = sorted.slice(0, MAX_NAMED).map(([ip]) => ip);
    const count = group.reduce((n, j) => n + j.v.count, 0);
    const ports = [...v.ports].sort((a, c) => c[1] - a[1]);
    const portText = (ports.length === 1 ? 'port ' : 'ports ') + listing(ports.slice(0, 3).map(([p]) => String(p))) + (ports.length > 3 ? ` and ${ports.length - 3} more` : '');
    const what = `(Zeek weird ${v.name} on ${portText}, ${plural(v.count, 'time')})`;
    const where = v.direction === 'outbound' ? 'external' : 'internal';
    // Zeek does not say which side broke the protocol (the weird's name often does): the sentence names the connections.
    const whom =
      v.direction === 'inbound'
        ? `${plural(lead.peers, 'external host')} opened connections to ${v.device} that Zeek could not parse as the port's protocol ${what}`
        : `${v.device} opened connections to ${plural(lead.peers, `${where} host`)} that Zeek could not parse as the port's protocol ${what}`;
    const history = state !== undefined && state.stats.weight >= MIN_WINDOWS;
    const usual = history ? `about ${formatCount(state!.stats.mean)} peers usually do per window in which it does` : '';
    const common = verdict.others > 0 ? `; ${verdict.others} other device${verdict.others === 1 ? ' shows' : 's show'} it too` : '';
    const since = state ? `; it first did so ${formatAgo(v.first - state.first)} ago` : '';
    const also = group.slice(1).map((j) => `${j.v.name} (${plural(j.peers, 'host')})`);
    const head = verdict.novel ? `${whom}; it never did before${common}` : verdict.surge ? `${whom}: far more than usual, where ${usual}${since}` : `${whom}${history ? `; ${usual}` : ''}${since}`;
    const explanation = `${head}${also.length ? `; also ${listing(also)}` : ''}.`;
    const top = sorted[0]?.[0];
    const mostPort = ports[0]?.[0];
    const names = group.map((j) => j.v.name);
    ctx.emit({
      model: MODEL_ID,
      kind: 'protocol_violation',
      domain: 'network',
      entity: { type: 'host', id: v.device },
      peer: top ? { type: 'host', id: top } : undefined,
      key: v.direction,
      score: verdict.score,
      time: Math.min(...group.map((j) => j.v.first)),
      explanation,
      figures: {
        observed: lead.peers,
        expected: history ? round(state!.stats.mean) : undefined,
        spread: history ? round(spreadOf(state!.stats, MIN_SPREAD)) : undefined,
        history_windows: lead.history,
        history_days: lead.since !== undefined ? round((window.start - lead.since) / DAY_MS) : undefined,
        first_seen: state?.first,
        peers: peerCounts.size,
        count,
        unit: 'peers per window',
        details: {
          weird: v.name,
          direction: v.direction,
          z: verdict.z,
          others: verdict.others,
          ports: ports.slice(0, 20).map(([port, n]) => ({ port, count: n })),
          violations: group.map((j) => ({ weird: j.v.name, peers: j.peers, count: j.v.count, score: j.verdict.score, novel: j.verdict.novel })),
          named: named.length,
        },
      },
      events: {
        index: CONN_INDEX,
        query: windowQuery(window.start, window.end, { term: { 'event.dataset': 'zeek.weird' } }, { terms: { 'rule.name': names } }, { term: { [v.direction === 'inbound' ? 'destination.ip' : 'source.ip']: v.device } }),
        count,
      },
      techniques: TECHNIQUES[v.direction],
      related: { ip: [v.device, ...named] },
      ...(v.direction === 'inbound' ? { destination: { ip: v.device, port: mostPort }, source: top ? { ip: top } : undefined } : { source: { ip: v.device }, destination: top ? { ip: top, port: mostPort } : undefined }),
      network: { direction: v.direction },
    });
  }
}

interface Judged {
  v: Violation;
  peers: number;
  verdict: ProtocolVerdict;
  state: ViolationState | undefined;
  /** The device baseline's windows and first time, before this window. */
  history: number | undefined;
  since: number | undefined;
}

interface Run {
  ctx: ModelContext;
  org: ProtocolOrgState | undefined;
  next: ProtocolOrgState;
  seen: boolean;
  /** What each device's baseline becomes in this run (both sweeps), written once at its end; `base` is the stored one. */
  learned: Map<string, { base: Baseline<ProtocolDeviceState> | undefined; state: ProtocolDeviceState; first: number }>;
}
