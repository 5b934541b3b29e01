import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { decayFactor, scoreFrom } from '../../baseline/decay';
import { compositePages, type CompositeBucket } from '../../query/composite';
import { CONN_INDEX, connQuery, eventsLink, NOT_TO_EVERYONE, str } from '../conn-query';
import { formatDays, round } from '../format';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import { decodeEdgeSet, EDGE_SET_CAP, edgeHash, encodeEdgeSet, type EdgeSet } from './edge-set';
import { ANSWERED_STATES } from '../inbound';

/**
 * New connection: a device talks to a peer, on a port or with a protocol it never used. Each device's baseline
 * counts how many new edges (peer, port, transport) it opens per window, decayed; that rate is its stability.
 * Observing k new edges when the device's rate is λ has Poisson tail probability P(X >= k); the score grows with
 * -log10 of it, so a PLC that has talked to the same three peers for weeks scores high on its first new peer, and
 * a laptop that meets new hosts every hour scores low. The baseline also keeps the spread of the counts: a device
 * whose new edges come in bursts (idle at night, dozens of new sites each morning) is judged with a negative
 * binomial tail of that spread (`countTail`), so its usual bursts are not surprising, and a steady device keeps the
 * Poisson tail. A device seen for too few windows is still learning and is not scored. Both sides local (east-west)
 * and local to remote are covered; the device is the side that opened the connection.
 */

export interface DeviceState {
  /** Decayed count of windows in which the device was active. */
  windows: number;
  /** Decayed count of new edges opened. */
  fresh: number;
  /**
   * Decayed sum of the squares of each window's count of new edges: with `fresh`, how bursty the device is. Absent
   * in baselines written before it was kept; estimated then as if the device's new edges came at an even rate.
   */
  fresh2?: number;
  /** Time of the last update (ms). */
  t: number;
  /** Ports (`port/transport`) and protocols the device used, up to a cap; beyond it the device is too varied to care. */
  ports: string[];
  protocols: string[];
  /** The edges the device is known to use (`edge-set.ts`); absent in baselines written before it was kept. */
  edges?: string;
  /** Whether `edges` holds every known edge; when not, edges outside it are looked up in their own baselines. */
  edgesExact?: boolean;
}

/**
 * A (peer, port, transport) the device used that its edge set does not hold, with when it was first used and its
 * status: an edge past the set's cap, an edge evaluated as malicious or suspicious (it stays new), or an edge
 * learned before the set was kept. Read only for a device whose edge set is not exact. An edge the set holds has
 * no baseline of its own: the set is its record, and writing one per edge would be most of what the pass writes.
 */
type EdgeState = Record<string, never>;

interface Edge {
  peer: string;
  port: number;
  transport: string;
  protocol?: string;
  first: number;
  count: number;
}

interface DeviceRows {
  device: string;
  rows: Edge[];
}

/** An edge of a window: its rows merged, with the protocols seen on it and its hash in the device's edge set. */
type WindowEdge = Edge & { protocols: Set<string>; hash: number };

type FreshEdge = Edge & { protocols: Set<string>; key: string; kind: string };

/** A device's new edges in the window and its history of them (`NewConnectionModel.freshOf`). */
interface Fresh {
  state: DeviceState;
  /** Decay of the device's history since its last window. */
  keep: number;
  fresh: FreshEdge[];
  history: number;
  /** New edges the device usually opens per window. */
  rate: number;
}

interface Judged extends DeviceRows {
  base: Baseline<DeviceState> | undefined;
  set: EdgeSet;
  edges: Map<string, WindowEdge>;
}

/**
 * The keys of a conn sweep by edge: the device that opened the connections, then the peer, port and transport. Every
 * sweep of this model is keyed so, the benchmark's floor too.
 */
export const EDGE_KEYS: ReadonlyArray<Record<string, unknown>> = [
  { device: { terms: { field: 'source.ip' } } },
  { peer: { terms: { field: 'destination.ip' } } },
  { port: { terms: { field: 'destination.port', missing_bucket: true } } },
  { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
];

/** The edge of a bucket keyed by `EDGE_KEYS`. */
function edgeKey(b: CompositeBucket): Pick<Edge, 'peer' | 'port' | 'transport'> {
  return { peer: str(b.key.peer)!, port: Number(b.key.port ?? 0), transport: str(b.key.transport) ?? 'unknown' };
}

/** An edge as its device's set names it. */
function edgeText(e: Pick<Edge, 'peer' | 'port' | 'transport'>): string {
  return `${e.peer}|${e.port}/${e.transport}`;
}

/** One edge per (peer, port, transport) of a device's rows, with the protocols seen on it merged. */
function edgesOf({ device, rows }: DeviceRows): Map<string, WindowEdge> {
  const byEdge = new Map<string, WindowEdge>();
  for (const r of rows) {
    const key = `${device}|${edgeText(r)}`;
    const e = byEdge.get(key);
    if (e) {
      e.first = Math.min(e.first, r.first);
      e.count += r.count;
      if (r.protocol) e.protocols.add(r.protocol);
    } else byEdge.set(key, { ...r, protocols: new Set(r.protocol ? [r.protocol] : []), hash: 0 });
  }
  return byEdge;
}

const MAX_SET = 256;
const MAX_EDGES_PER_WINDOW = 20_000;
/** Windows of history a device needs before a new edge is judged. */
const MIN_WINDOWS = 8;

export class NewConnectionModel implements DetectionModel {
  readonly id = 'new_connection' as const;

  async run(ctx: ModelContext): Promise<void> {
    if (!hasEvents(ctx, 'zeek.conn')) return;
    const { window } = ctx;
    // The device of a page's last buckets may go on in the next page: it is judged with the next page's devices.
    let open: DeviceRows | undefined;
    for await (const page of compositePages(ctx.client, {
      index: CONN_INDEX,
      query: connQuery(window, NOT_TO_EVERYONE),
      size: ctx.config.detector.pageSize,
      sources: [...EDGE_KEYS, { protocol: { terms: { field: 'network.protocol', missing_bucket: true } } }],
      aggs: { first: { min: { field: '@timestamp' } } },
    })) {
      const done: DeviceRows[] = [];
      for (const b of page) {
        const src = str(b.key.device)!;
        if (!ctx.isLocal(src) || !ctx.partition.owns(src)) continue;
        if (src !== open?.device) {
          if (open) done.push(open);
          open = { device: src, rows: [] };
        }
        // A device that opens more edges in one window than this is scanning; the rest are counted, not kept.
        if (open.rows.length >= MAX_EDGES_PER_WINDOW) continue;
        open.rows.push({
          ...edgeKey(b),
          protocol: str(b.key.protocol),
          first: (b.first as { value: number }).value,
          count: b.doc_count,
        });
      }
      await this.judgeMany(ctx, done);
      // The page's baselines are written while the next page is read and judged.
      await ctx.baselines.spill();
    }
    if (open) await this.judgeMany(ctx, [open]);
  }

  /**
   * Judges finished devices together. Their baselines are read with one request; a device's edge set says which of
   * its edges are known, and only the edges of a device without an exact set are read, with one more request.
   */
  private async judgeMany(ctx: ModelContext, devices: DeviceRows[]): Promise<void> {
    if (devices.length === 0) return;
    const bases = await ctx.baselines.getMany<DeviceState>(this.id, 'device', devices.map((d) => d.device));
    const todo: Judged[] = [];
    const unsure: string[] = [];
    for (const d of devices) {
      const base = bases.get(d.device);
      if (alreadyLearned(base, ctx.window.start)) continue;
      // A new device's set is exact: it is known to use nothing yet.
      const set = base ? decodeEdgeSet(base.state.edges, base.state.edgesExact) : { hashes: new Set<number>(), exact: true };
      const edges = edgesOf(d);
      const judged: Judged = { ...d, base, set, edges };
      for (const [key, e] of edges) {
        e.hash = edgeHash(edgeText(e));
        if (!set.exact && !set.hashes.has(e.hash)) unsure.push(key);
      }
      todo.push(judged);
    }
    const known = unsure.length > 0 ? await ctx.baselines.getMany<EdgeState>(this.id, 'edge', unsure) : new Map<string, Baseline<EdgeState>>();
    const seen = todo.map((d) => this.freshOf(ctx, d, known));
    // Which edges were answered is asked, with one sweep, only for the rare devices with enough new edges to be scanning.
    const scanning = todo.filter((_, i) => scanOf(seen[i].fresh, seen[i].rate) !== undefined).map((d) => d.device);
    const answered = scanning.length > 0 ? await answeredEdges(ctx, scanning) : new Map<string, Set<string>>();
    todo.forEach((d, i) => this.judge(ctx, d, seen[i], known, answered.get(d.device)));
  }

  private emitScan(ctx: ModelContext, device: string, scan: Scan, fresh: ReadonlyArray<Edge & { protocols: Set<string> }>, deviceBase: Baseline<DeviceState> | undefined, rate: number): void {
    const { window } = ctx;
    const peers = [...new Set(fresh.map((f) => f.peer))];
    const portCounts = new Map<string, number>();
    for (const f of fresh) portCounts.set(`${f.port}/${f.transport}`, (portCounts.get(`${f.port}/${f.transport}`) ?? 0) + 1);
    const topPorts = [...portCounts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([p]) => p);
    const count = fresh.reduce((n, f) => n + f.count, 0);
    const size = scan.kind === 'port_scan' ? scan.ports : scan.peers;
    // 50 addresses or 30 ports scores about 70; ten times that, about 95.
    const score = Math.round(scoreFrom(Math.log10(size), Math.log10(scan.kind === 'port_scan' ? 20 : 35), 0.25) * 10) / 10;
    const history = deviceBase ? `; it usually opens ${rate < 0.05 ? 'almost no' : `about ${round(rate)}`} new connections per window` : '; the device was not seen before';
    ctx.emit({
      model: this.id,
      kind: scan.kind,
      domain: 'network',
      entity: { type: 'host', id: device },
      peer: scan.target ? { type: 'host', id: scan.target } : undefined,
      score,
      time: Math.min(...fresh.map((f) => f.first)),
      explanation:
        scan.kind === 'port_scan'
          ? `${device} probed ${scan.ports} ports of ${scan.target} it never used, which did not answer (${topPorts.join(', ')}, ...), in ${ctx.config.detector.windowMinutes} minutes, ${count} connections${history}.`
          : `${device} tried ${scan.peers} addresses it never contacted before, which did not answer, on ${scan.ports} port${scan.ports === 1 ? '' : 's'} (${topPorts.join(', ')}) in ${ctx.config.detector.windowMinutes} minutes, ${count} connections${history}.`,
      figures: {
        observed: size,
        expected: round(rate),
        history_windows: deviceBase?.observations ?? 0,
        first_seen: deviceBase?.first_seen,
        peers: scan.peers,
        count,
        unit: scan.kind === 'port_scan' ? 'new ports of one address per window' : 'new addresses per window',
        details: { ports: scan.ports, edges: scan.edges, topPorts },
      },
      events: { index: CONN_INDEX, query: eventsLink(window, 'zeek.conn', { 'source.ip': device }), count },
      techniques: [{ id: 'T1046', name: 'Network Service Discovery' }, ...(scan.kind === 'address_scan' ? [{ id: 'T1018', name: 'Remote System Discovery' }] : [])],
      related: { ip: peers.slice(0, 1000) },
      source: { ip: device },
      destination: scan.target ? { ip: scan.target } : undefined,
    });
  }

  /** What a device did in the window that its baselines do not know, and its usual rate of such edges. */
  private freshOf(ctx: ModelContext, judged: Judged, known: Map<string, Baseline<EdgeState>>): Fresh {
    const { window } = ctx;
    const { device, edges: byEdge, base: deviceBase, set } = judged;
    const state: DeviceState = deviceBase?.state ?? { windows: 0, fresh: 0, t: window.start, ports: [], protocols: [] };
    const keep = deviceBase ? decayFactor(window.start - state.t, ctx.halfLifeMs) : 1;
    const fresh: FreshEdge[] = [];
    for (const [key, e] of byEdge) {
      const b = known.get(key);
      const tainted = ctx.feedback.isTainted(this.id, device, e.peer);
      // An edge in the set is known and was not evaluated as malicious or suspicious when it was learned.
      if ((set.hashes.has(e.hash) || (b && b.status !== 'tainted')) && !tainted) continue;
      const port = `${e.port}/${e.transport}`;
      const newProtocol = [...e.protocols].find((p) => !state.protocols.includes(p));
      const kind = newProtocol && state.protocols.length < MAX_SET ? 'new_protocol' : !state.ports.includes(port) && state.ports.length < MAX_SET ? 'new_port' : 'new_peer';
      fresh.push({ ...e, key, kind });
    }
    const history = state.windows * keep;
    const rate = (state.fresh * keep + 0.5) / (history + 1);
    return { state, keep, fresh, history, rate };
  }

  /** `answered`: the edges of the device's window that were answered, when it has enough new edges to be scanning. */
  private judge(ctx: ModelContext, judged: Judged, seen: Fresh, known: Map<string, Baseline<EdgeState>>, answered: ReadonlySet<string> | undefined): void {
    const { window, baselines } = ctx;
    const { device, rows, edges: byEdge, base: deviceBase, set } = judged;
    const { state, keep, fresh, history, rate } = seen;
    const squares = state.fresh2 ?? state.fresh + (state.fresh * state.fresh) / Math.max(state.windows, 1);
    // The spread of the device's new edges per window (the prior window's 0.5 counted, as in the rate).
    const spread = Math.max(0, (squares * keep + 0.25) / (history + 1) - rate * rate);
    ctx.count(0, 1);
    let scan = scanOf(fresh, rate);
    let tried = fresh;
    if (scan) {
      // A scan is made of the attempts nobody answered, as Zeek's scan policy counts them: a browser that opens sixty
      // new sites in a window is not scanning.
      tried = fresh.filter((f) => !answered?.has(edgeText(f)));
      scan = scanOf(tried, rate);
    }
    if (scan) this.emitScan(ctx, device, scan, tried, deviceBase, rate);
    else if (fresh.length > 0 && deviceBase && deviceBase.observations >= MIN_WINDOWS) {
      // A device whose new edges come in bursts (a laptop in the morning) is judged by its bursts, not by its mean.
      const surprise = -Math.log10(Math.max(countTail(fresh.length, rate, spread), 1e-12));
      // Confidence in the rate grows with history: a device seen for a day is judged more gently than one seen for weeks.
      const confidence = Math.min(1, history / (MIN_WINDOWS * 6));
      const score = Math.round(scoreFrom(surprise, 2.5, 0.8) * (0.5 + 0.5 * confidence) * 10) / 10;
      const rank = { new_protocol: 3, new_port: 2, new_peer: 1 } as Record<string, number>;
      fresh.sort((a, b) => rank[b.kind] - rank[a.kind] || a.first - b.first);
      const top = fresh[0];
      const peers = [...new Set(fresh.map((f) => f.peer))];
      const days = (window.start - deviceBase.first_seen) / 86_400_000;
      const what =
        top.kind === 'new_protocol'
          ? `spoke ${[...top.protocols].join('/')} for the first time (to ${top.peer}:${top.port}/${top.transport})`
          : top.kind === 'new_port'
            ? `connected to port ${top.port}/${top.transport} for the first time (on ${top.peer})`
            : `connected to ${top.peer}:${top.port}/${top.transport} for the first time`;
      const more = fresh.length > 1 ? `, with ${fresh.length - 1} other new connection${fresh.length > 2 ? 's' : ''}` : '';
      ctx.emit({
        model: this.id,
        kind: top.kind,
        domain: 'network',
        entity: { type: 'host', id: device },
        peer: peers.length === 1 ? { type: 'host', id: top.peer } : undefined,
        score,
        time: top.first,
        explanation: `${device} ${what}${more}; over ${formatDays(days)} it opened ${rate < 0.05 ? 'almost no' : `about ${round(rate)}`} new connections per ${ctx.config.detector.windowMinutes}-minute window.`,
        figures: {
          observed: fresh.length,
          expected: round(rate),
          history_windows: Math.round(history),
          history_days: round(days),
          first_seen: deviceBase.first_seen,
          peers: peers.length,
          count: fresh.reduce((n, f) => n + f.count, 0),
          unit: 'new connections per window',
          details: { edges: fresh.slice(0, 20).map((f) => ({ peer: f.peer, port: f.port, transport: f.transport, protocols: [...f.protocols], kind: f.kind, first: new Date(f.first).toISOString(), count: f.count })) },
        },
        events: {
          index: CONN_INDEX,
          query: eventsLink(window, 'zeek.conn', { 'source.ip': device, 'destination.ip': peers.slice(0, 100) }),
          count: fresh.reduce((n, f) => n + f.count, 0),
        },
        techniques: top.kind === 'new_protocol' || top.kind === 'new_port' ? [{ id: 'T1021', name: 'Remote Services' }] : [{ id: 'T1046', name: 'Network Service Discovery' }],
        related: { ip: peers.slice(0, 100) },
        source: { ip: device },
        destination: { ip: top.peer, port: top.port },
        network: { transport: top.transport, protocol: [...top.protocols][0] },
      });
    }

    // Learning: what happens in a maintenance window that does not learn, and activity evaluated as malicious or
    // suspicious, stays out of the baseline.
    if (!ctx.maintenance.mayLearn(this.id, [device], window.start)) return;
    let learned = 0;
    const ports = [...state.ports];
    const protocols = [...state.protocols];
    for (const f of fresh) {
      if (ctx.feedback.isTainted(this.id, device, f.peer)) continue;
      learned++;
      const port = `${f.port}/${f.transport}`;
      if (!ports.includes(port) && ports.length < MAX_SET) ports.push(port);
      for (const p of f.protocols) if (!protocols.includes(p) && protocols.length < MAX_SET) protocols.push(p);
    }
    for (const [key, e] of byEdge) {
      const tainted = ctx.feedback.isTainted(this.id, device, e.peer);
      if (!tainted && set.hashes.has(e.hash)) continue;
      const b = known.get(key);
      const status = tainted ? 'tainted' : 'known';
      let held = false;
      if (!tainted) {
        if (set.hashes.size < EDGE_SET_CAP) {
          set.hashes.add(e.hash);
          held = true;
        } else set.exact = false;
      }
      // An edge with a baseline of its own is written when its status changes; a new one only when the set cannot hold it.
      if (b ? b.status === status : held) continue;
      const ref = { model: this.id, kind: 'edge', entity: { type: 'host', id: device }, key };
      baselines.put(learnedBaseline(ctx, ref, b, e.first, {}, { status, lastSeen: Math.max(b?.last_seen ?? 0, e.first) }));
    }
    const first = rows.reduce((t, r) => Math.min(t, r.first), Infinity);
    const next: DeviceState = {
      ...state,
      ports,
      protocols,
      windows: history + 1,
      fresh: state.fresh * keep + (deviceBase ? learned : 0),
      fresh2: squares * keep + (deviceBase ? learned * learned : 0),
      t: window.start,
      edges: encodeEdgeSet(set),
      edgesExact: set.exact,
    };
    baselines.put(learnedBaseline(ctx, { model: this.id, kind: 'device', entity: { type: 'host', id: device }, key: device }, deviceBase, first, next));
  }
}

/** Devices whose answered edges one sweep asks for, at most. */
const ANSWERED_DEVICES_PER_SWEEP = 1024;

/**
 * The edges (`edgeText`) of each device's window on which the peer answered: a handshake or a reply
 * (`ANSWERED_STATES`, as the inbound model counts them). One sweep for many devices.
 */
export async function answeredEdges(ctx: Pick<ModelContext, 'client' | 'window' | 'config'>, devices: readonly string[]): Promise<Map<string, Set<string>>> {
  const answered = new Map<string, Set<string>>();
  for (let i = 0; i < devices.length; i += ANSWERED_DEVICES_PER_SWEEP) {
    const chunk = devices.slice(i, i + ANSWERED_DEVICES_PER_SWEEP);
    for await (const page of compositePages(ctx.client, {
      index: CONN_INDEX,
      query: connQuery(ctx.window, NOT_TO_EVERYONE, { terms: { 'source.ip': chunk } }, { terms: { 'zeek.conn.conn_state': ANSWERED_STATES } }),
      size: ctx.config.detector.pageSize,
      sources: EDGE_KEYS,
    })) {
      for (const b of page) {
        const device = str(b.key.device)!;
        let edges = answered.get(device);
        if (edges === undefined) answered.set(device, (edges = new Set()));
        edges.add(edgeText(edgeKey(b)));
      }
    }
  }
  return answered;
}

/**
 * Scanning needs no history: a device that tries many addresses (address scan) or many ports of one address (port
 * scan) it never used in one window, and gets no answer, is scanning whatever its past, as Zeek's own scan policy
 * judges it (the model passes only the unanswered edges: `answeredEdges`). The thresholds are those of Zeek's
 * `Scan::addr_scan_threshold` and `port_scan_threshold` (25 and 15 in 5 minutes), doubled for a 15-minute window,
 * and the count must also be far above the device's usual rate of new connections, so that a server that talks to
 * many new peers every window is not a scanner.
 */
export interface Scan {
  kind: 'address_scan' | 'port_scan';
  peers: number;
  ports: number;
  /** For a port scan, the address scanned. */
  target?: string;
  edges: number;
}

const ADDRESS_SCAN_PEERS = 50;
const PORT_SCAN_PORTS = 30;

export function scanOf(fresh: ReadonlyArray<{ peer: string; port: number; transport: string }>, rate: number): Scan | undefined {
  if (fresh.length < Math.min(ADDRESS_SCAN_PEERS, PORT_SCAN_PORTS) || fresh.length < rate * 10) return undefined;
  const peers = new Set<string>();
  const portsByPeer = new Map<string, Set<string>>();
  const ports = new Set<string>();
  for (const f of fresh) {
    peers.add(f.peer);
    const port = `${f.port}/${f.transport}`;
    ports.add(port);
    let set = portsByPeer.get(f.peer);
    if (!set) portsByPeer.set(f.peer, (set = new Set()));
    set.add(port);
  }
  let target: string | undefined;
  let most = 0;
  for (const [peer, set] of portsByPeer) if (set.size > most) [target, most] = [peer, set.size];
  if (most >= PORT_SCAN_PORTS) return { kind: 'port_scan', peers: peers.size, ports: ports.size, target, edges: fresh.length };
  if (peers.size >= ADDRESS_SCAN_PEERS) return { kind: 'address_scan', peers: peers.size, ports: ports.size, edges: fresh.length };
  return undefined;
}

/**
 * P(X >= k) for a count X with this mean and variance: Poisson when the variance is about the mean (a device that
 * opens new edges at an even rate), else negative binomial (Poisson with a gamma-distributed rate), whose longer tail
 * makes a burst of a bursty device less surprising.
 */
export function countTail(k: number, mean: number, variance: number): number {
  if (variance <= mean * 1.05 || mean <= 0) return poissonTail(k, mean);
  if (k <= 0) return 1;
  // X ~ NB(r, p): P(X = x) = C(x + r - 1, x) p^r (1 - p)^x, mean r(1 - p)/p, variance mean / p.
  const p = mean / variance;
  const r = (mean * p) / (1 - p);
  let term = Math.exp(r * Math.log(p));
  let cdf = term;
  for (let x = 1; x < k; x++) {
    term *= ((x + r - 1) / x) * (1 - p);
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/** P(X >= k) for X ~ Poisson(λ). */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-lambda);
  let cdf = term;
  for (let i = 1; i < k; i++) {
    term *= lambda / i;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}
