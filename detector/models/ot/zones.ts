import type { Conduit, Zone } from '../../../common/config/detector-schema';
import { DAY_MS } from '../../baseline/decay';
import { learnedBaseline } from '../../baseline/store';
import { conduitAllows } from '../../feedback/scope';
import { compositePages, firstTime } from '../../query/composite';
import { CONN_INDEX, connQuery, eventsLink, str } from '../conn-query';
import type { ModelContext } from '../model';
import { listing } from '../format';
import { industrialProtocolOf, IT_MIN_LEVEL, MODEL_ID, notFromOrToEveryone, OT_MAX_LEVEL } from './flows';

/**
 * Flows between zones that the configured conduits do not allow (IEC 62443 zones and conduits). The policy is
 * configured, not learned: every such flow is a deviation. Each is reported at most once a day per source,
 * destination zone pair and port (the `zone_flow` baseline remembers the day); a source that breaks the policy
 * on more ports than a handful in one window gets one anomaly for all of them (it is scanning, which the scan
 * concern reports as such), and no more for that zone pair that day.
 *
 * One sweep per ordered pair of zones that some flow could violate, with the source in the first zone's subnets
 * and the destination in the second's, so that flows inside a zone, and pairs a conduit allows entirely, are never
 * read. Zones may overlap; the zone of an address is the first configured one that holds it, as everywhere.
 */

export interface ZoneFlowState {
  /** Epoch day of the last anomaly. */
  day: number;
}

interface Violation {
  source: string;
  from: string;
  to: string;
  /** `502/tcp`, or `icmp`: the key of the daily limit. */
  port: string;
  portNumber?: number;
  transport?: string;
  protocols: string[];
  /** A few of the devices reached, and how many there were. */
  peers: string[];
  peerCount: number;
  lastPeer?: string;
  count: number;
  first: number;
}

/** More violating ports than this for one source and zone pair in a window make one anomaly. */
export const MAX_PORT_ANOMALIES = 5;
const MAX_TRACKED_PORTS = 200;
const MAX_PEERS = 10;

const ICMP = new Set(['icmp', 'ipv6-icmp', 'icmp6']);

/** Whether some conduit allows every flow from `from` to `to`, whatever its port and protocol. */
export function allowsAll(conduits: readonly Conduit[], from: string, to: string): boolean {
  return conduits.some((c) => (c.from === '*' || c.from === from) && (c.to === '*' || c.to === to) && !c.ports && !c.protocols);
}

/** Zone pairs whose flows must be read: every ordered pair of distinct zones that no conduit allows entirely. */
export function pairsToCheck(zones: readonly Zone[], conduits: readonly Conduit[]): Array<[Zone, Zone]> {
  const out: Array<[Zone, Zone]> = [];
  for (const a of zones) for (const b of zones) if (a.name !== b.name && !allowsAll(conduits, a.name, b.name)) out.push([a, b]);
  return out;
}

/** 65 to 95: more for flows into OT zones, from IT zones into OT ones, across levels, and in industrial protocols. */
export function zoneScore(fromLevel: number | undefined, toLevel: number | undefined, industrial: boolean): number {
  let score = 65;
  if (toLevel !== undefined && toLevel <= OT_MAX_LEVEL) score += 10;
  if (fromLevel !== undefined && toLevel !== undefined && fromLevel >= IT_MIN_LEVEL && toLevel <= OT_MAX_LEVEL) score += 10;
  if (fromLevel !== undefined && toLevel !== undefined && Math.abs(fromLevel - toLevel) >= 2) score += 5;
  if (industrial) score += 5;
  return Math.min(95, score);
}

export async function runZones(ctx: ModelContext): Promise<void> {
  if (!ctx.zones.configured) return;
  for (const [from, to] of pairsToCheck(ctx.config.zones, ctx.config.conduits)) await sweep(ctx, from, to);
}

async function sweep(ctx: ModelContext, from: Zone, to: Zone): Promise<void> {
  const { window } = ctx;
  // Per source: violating ports. Bounded by the sources of one zone pair in one window times the tracked ports.
  const bySource = new Map<string, Map<string, Violation>>();
  const extraPorts = new Map<string, number>();
  // Buckets come sorted by source, then device: counting a device when it changes counts each once.
  const devices = new Map<string, { last?: string; count: number }>();
  for await (const page of compositePages(ctx.client, {
    index: CONN_INDEX,
    query: connQuery(window, notFromOrToEveryone(), { terms: { 'source.ip': from.subnets } }, { terms: { 'destination.ip': to.subnets } }),
    sources: [
      { source: { terms: { field: 'source.ip' } } },
      { peer: { terms: { field: 'destination.ip' } } },
      { port: { terms: { field: 'destination.port', missing_bucket: true } } },
      { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
      { protocol: { terms: { field: 'network.protocol', missing_bucket: true } } },
    ],
    aggs: { first: { min: { field: '@timestamp' } } },
    size: ctx.config.detector.pageSize,
  })) {
    for (const b of page) {
      const source = str(b.key.source)!;
      const peer = str(b.key.peer)!;
      if (!ctx.partition.owns(source)) continue;
      if (ctx.zones.zoneOf(source) !== from.name || ctx.zones.zoneOf(peer) !== to.name) continue;
      const transport = str(b.key.transport);
      const icmp = transport !== undefined && ICMP.has(transport);
      const portNumber = icmp || b.key.port === null || b.key.port === undefined ? undefined : Number(b.key.port);
      const protocol = str(b.key.protocol);
      if (conduitAllows(ctx.config.conduits, from.name, to.name, portNumber, protocol)) continue;
      const port = icmp ? transport! : `${portNumber ?? '-'}/${transport ?? '-'}`;
      let ports = bySource.get(source);
      if (ports === undefined) bySource.set(source, (ports = new Map()));
      let v = ports.get(port);
      if (v === undefined) {
        if (ports.size >= MAX_TRACKED_PORTS) {
          extraPorts.set(source, (extraPorts.get(source) ?? 0) + 1);
          continue;
        }
        v = { source, from: from.name, to: to.name, port, portNumber, transport, protocols: [], peers: [], peerCount: 0, count: 0, first: Number.POSITIVE_INFINITY };
        ports.set(port, v);
      }
      const d = devices.get(source) ?? { count: 0 };
      if (d.last !== peer) devices.set(source, { last: peer, count: d.count + 1 });
      if (v.lastPeer !== peer) {
        v.lastPeer = peer;
        v.peerCount++;
      }
      if (protocol !== undefined && !v.protocols.includes(protocol)) v.protocols.push(protocol);
      if (v.peers.length < MAX_PEERS && !v.peers.includes(peer)) v.peers.push(peer);
      v.count += b.doc_count;
      v.first = Math.min(v.first, firstTime(b, window.start));
    }
  }
  if (bySource.size === 0) return;
  const day = Math.floor(window.start / DAY_MS);
  const reports: Array<{ key: string; violations: Violation[] }> = [];
  for (const [source, ports] of bySource) {
    const list = [...ports.values()].sort((a, b) => a.first - b.first);
    if (list.length > MAX_PORT_ANOMALIES) reports.push({ key: `${source}|${from.name}>${to.name}|*`, violations: list });
    else for (const v of list) reports.push({ key: `${source}|${from.name}>${to.name}|${v.port}`, violations: [v] });
  }
  const summaryKey = (source: string) => `${source}|${from.name}>${to.name}|*`;
  const known = await ctx.baselines.getMany<ZoneFlowState>(MODEL_ID, 'zone_flow', [...reports.map((r) => r.key), ...[...bySource.keys()].map(summaryKey)]);
  for (const r of reports) {
    if (known.get(r.key)?.state.day === day) continue;
    // A source reported today for many ports of this zone pair at once is not reported again port by port.
    if (known.get(summaryKey(r.violations[0].source))?.state.day === day) continue;
    const source = r.violations[0].source;
    const reached = r.violations.length === 1 ? r.violations[0].peerCount : (devices.get(source)?.count ?? 0);
    emit(ctx, r.key, r.violations, from, to, extraPorts.get(source) ?? 0, reached);
    const first = Math.min(...r.violations.map((v) => v.first));
    const ref = { model: MODEL_ID, kind: 'zone_flow', entity: { type: 'host', id: source }, key: r.key };
    ctx.baselines.put(learnedBaseline<ZoneFlowState>(ctx, ref, known.get(r.key), first, { day }, { status: 'reported', lastSeen: first }));
  }
  await ctx.baselines.flush();
}

function emit(ctx: ModelContext, key: string, violations: Violation[], from: Zone, to: Zone, untracked: number, reached: number): void {
  const { window } = ctx;
  const v = violations[0];
  const peers = [...new Set(violations.flatMap((x) => x.peers))];
  const count = violations.reduce((n, x) => n + x.count, 0);
  const industrial = violations.some((x) => industrialProtocolOf(x.transport, x.portNumber, x.protocols) !== undefined);
  const score = zoneScore(from.level, to.level, industrial);
  const level = (z: Zone) => (z.level === undefined ? '' : `, level ${z.level}`);
  const allowed = ctx.config.conduits.filter((c) => (c.from === '*' || c.from === from.name) && (c.to === '*' || c.to === to.name));
  const policy = allowed.length
    ? `the conduits from ${from.name} to ${to.name} allow only ${listing(allowed.map((c) => [c.ports ? `ports ${c.ports.join(', ')}` : '', c.protocols ? c.protocols.join('/') : ''].filter((s) => s).join(' in ')))}`
    : `no conduit allows flows from ${from.name} to ${to.name}`;
  const target = `${peers[0]}${reached > 1 ? ` and ${reached - 1} other device${reached > 2 ? 's' : ''}` : ''}`;
  const portLabel = (x: Violation) => `${x.port}${x.protocols.length ? ` (${x.protocols.join(', ')})` : ''}`;
  const what =
    violations.length === 1
      ? `on ${portLabel(v)}`
      : `on ${violations.length + untracked} ports (${violations
          .slice(0, 8)
          .map((x) => x.port)
          .join(', ')}${violations.length > 8 ? ', ...' : ''})`;
  ctx.emit({
    model: MODEL_ID,
    kind: 'ot_zone_violation',
    domain: 'ot',
    entity: { type: 'host', id: v.source },
    peer: peers.length === 1 ? { type: 'host', id: peers[0] } : undefined,
    key: key.slice(v.source.length + 1),
    score,
    time: Math.min(...violations.map((x) => x.first)),
    explanation: `${v.source} (zone ${from.name}${level(from)}) connected to ${target} (zone ${to.name}${level(to)}) ${what}, ${count} connection${count === 1 ? '' : 's'}; ${policy}.`,
    figures: {
      observed: count,
      expected: 0,
      peers: reached,
      count,
      unit: 'connections outside the conduits',
      details: {
        from: { zone: from.name, level: from.level },
        to: { zone: to.name, level: to.level },
        ports: violations.slice(0, 50).map((x) => ({ port: x.port, protocols: x.protocols, count: x.count, devices: x.peerCount, sample: x.peers })),
        score_basis: { industrial, levels: [from.level, to.level] },
        untracked_ports: untracked || undefined,
      },
    },
    events: {
      index: CONN_INDEX,
      query: eventsLink(window, 'zeek.conn', { 'source.ip': v.source, 'destination.ip': peers.slice(0, 100), ...(violations.length === 1 && v.portNumber !== undefined ? { 'destination.port': v.portNumber } : {}) }),
      count,
    },
    related: { ip: [v.source, ...peers] },
    source: { ip: v.source },
    destination: { ip: peers[0], port: violations.length === 1 ? v.portNumber : undefined },
    network: { transport: v.transport, protocol: v.protocols[0] },
  });
}
