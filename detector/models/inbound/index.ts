import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, emptyStats, observe, robustZ, scoreFrom, spreadOf, type EwStats } from '../../baseline/decay';
import { industrialPort } from '../../features/ot';
import { compositePages, firstTime } from '../../query/composite';
import { CONN_INDEX, connQuery, eventsLink, OPENED_BY_ORIGINATOR, str } from '../conn-query';
import { formatCount, listing, round } from '../format';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import { icsTechnique, OT_MAX_LEVEL, zoneLevel } from '../ot/flows';
import { formatAgo, isGlobalUnicast, NON_GLOBAL } from '../rare-destination';

/**
 * Inbound: an internal device reached from the internet. A connection that an external address opened to a local
 * device means the perimeter lets it in: probing when the device does not answer, an exposed service when it does.
 *
 * Each device's baseline (`device`) keeps the decayed mean and spread of the external addresses that reach it per
 * window in which any does, the ports on which it answered external addresses (its exposed services, with when each
 * was first answered), and when the internet first reached it. Per window and device, one anomaly:
 * - `exposed_service` when the device answered an external address on a port it never served to the internet:
 *   always an alert, higher for a device never exposed before and for industrial or remote-administration ports;
 * - `inbound` otherwise: an alert the first time the internet reaches the device at all, and when far more
 *   external addresses reach it than usually do (robust z-score, as the other volume judgements); an observation
 *   for the usual background of probes, which joins the device's open incident (`incident/group.ts`) so that the
 *   incident names every address that reached the device while it was open. The usual use of an exposed service
 *   (only ports it already serves, in the usual numbers) is learned and not written.
 *
 * An OT device (in a zone of Purdue level 2 or below, or answering on an industrial port) reached from the internet
 * scores higher and carries ATT&CK for ICS T0883 (Internet Accessible Device).
 *
 * Every anomaly names the external addresses of its window (`related.ip`, the most active first, up to
 * `MAX_NAMED`). Only connections the external side really opened count: the originator's SYN seen first (TCP; a
 * connection picked up mid-stream is the rest of one the device opened) or its data (UDP), and not a reply from a
 * service port to an ephemeral one.
 */

export const MODEL_ID = 'inbound' as const;

export interface InboundState {
  /** External addresses per window in which any reached the device. */
  stats: EwStats;
  /** `port/transport` the device answered external addresses on, with the time it first did. */
  exposed: Record<string, number>;
}

/** Zeek states of a connection the responder took part in (a handshake or a reply). */
export const ANSWERED_STATES = ['S1', 'S2', 'S3', 'SF', 'RSTO', 'RSTR'];
/** Windows of history before a device's count of external addresses is judged against its own mean. */
export const MIN_WINDOWS = 4;
/** A surge: at least this z-score above the device's mean, and this many addresses. */
export const MIN_Z = 4;
export const MIN_SURGE_SOURCES = 10;
/** Floor of the spread: a few addresses more than usual is noise. */
const MIN_SPREAD = 3;
/** External addresses an anomaly names, the most active first. */
export const MAX_NAMED = 1000;
/** External addresses counted per device and window exactly; beyond, the count is of (address, port) pairs. */
const MAX_TRACKED = 50_000;
const EXPOSED_CAP = 64;
/** Remote administration and file sharing: a service an attacker reaches first. */
const ADMIN_PORTS = new Set(['22/tcp', '23/tcp', '135/tcp', '139/tcp', '445/tcp', '3389/tcp', '5900/tcp', '5985/tcp', '5986/tcp']);

interface Source {
  ip: string;
  connections: number;
  answered: number;
  first: number;
}

export interface Reached {
  device: string;
  sources: Map<string, Source>;
  /** Distinct sources beyond `MAX_TRACKED` (approximate: pairs). */
  untracked: number;
  /** Per `port/transport`: connections, and the addresses answered there. */
  ports: Map<string, { connections: number; answered: Set<string> }>;
  connections: number;
  first: number;
}

function newReached(device: string): Reached {
  return { device, sources: new Map(), untracked: 0, ports: new Map(), connections: 0, first: Number.POSITIVE_INFINITY };
}

/** Folds one bucket (device, port, transport, source) into the device's window. */
export function addBucket(r: Reached, b: { source: string; port: number; transport: string; connections: number; answered: number; first: number }): void {
  const portKey = `${b.port}/${b.transport}`;
  let p = r.ports.get(portKey);
  if (!p) r.ports.set(portKey, (p = { connections: 0, answered: new Set() }));
  p.connections += b.connections;
  if (b.answered > 0 && p.answered.size < MAX_NAMED) p.answered.add(b.source);
  r.connections += b.connections;
  r.first = Math.min(r.first, b.first);
  const s = r.sources.get(b.source);
  if (s) {
    s.connections += b.connections;
    s.answered += b.answered;
    s.first = Math.min(s.first, b.first);
  } else if (r.sources.size < MAX_TRACKED) r.sources.set(b.source, { ip: b.source, connections: b.connections, answered: b.answered, first: b.first });
  else r.untracked++;
}

export interface InboundVerdict {
  kind: 'exposed_service' | 'inbound';
  score: number;
  /** Ports answered for the first time. */
  newPorts: string[];
  z?: number;
  surge: boolean;
  firstReach: boolean;
}

/** The score an OT device adds to a first reach or a first exposed service. */
const OT_BONUS = 15;

/** The judgement of one device's window against its baseline (undefined: never reached before). */
export function judgeInbound(state: InboundState | undefined, sources: number, answeredPorts: readonly string[], ot = false): InboundVerdict {
  const exposed = state?.exposed ?? {};
  const newPorts = answeredPorts.filter((p) => exposed[p] === undefined).sort(portOrder);
  const firstReach = state === undefined;
  const history = state !== undefined && state.stats.weight >= MIN_WINDOWS;
  const z = history ? round(robustZ(state.stats, sources, MIN_SPREAD)) : undefined;
  const surge = z !== undefined && z >= MIN_Z && sources >= MIN_SURGE_SOURCES;
  if (newPorts.length > 0) {
    const sensitive = newPorts.some((p) => ADMIN_PORTS.has(p) || isIndustrial(p));
    const score = Math.min(98, (Object.keys(exposed).length === 0 ? 80 : 66) + (sensitive ? 8 : 0) + (ot ? OT_BONUS : 0) + Math.min(6, 2 * Math.log10(sources)));
    return { kind: 'exposed_service', score: round(score, 1), newPorts, z, surge, firstReach };
  }
  if (firstReach) return { kind: 'inbound', score: round(Math.min(72, 62 + 4 * Math.log10(sources)) + (ot ? OT_BONUS : 0), 1), newPorts, z, surge, firstReach };
  if (surge) return { kind: 'inbound', score: Math.max(60, scoreFrom(z!, 5, 1.5)), newPorts, z, surge, firstReach };
  // The usual background: an observation, lower the more the device is used to it.
  const score = history ? Math.min(45, scoreFrom(z!, 5, 1.5)) : 30;
  return { kind: 'inbound', score, newPorts, z, surge, firstReach };
}

/**
 * Whether a window is written: always, except the usual traffic of an exposed service (every port reached is one the
 * device already serves to the internet, in the usual numbers), which is what the service is for.
 */
export function worthWriting(v: InboundVerdict, ports: Iterable<string>, state: InboundState | undefined): boolean {
  if (v.kind !== 'inbound' || v.firstReach || v.surge || state === undefined) return true;
  for (const p of ports) if (state.exposed[p] === undefined) return true;
  return false;
}

function isIndustrial(portKey: string): boolean {
  const [port, transport] = portKey.split('/');
  return industrialPort(transport, Number(port)) !== undefined;
}

function portOrder(a: string, b: string): number {
  return Number(a.split('/')[0]) - Number(b.split('/')[0]) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The state after a window: one more observation of the address count, answered ports added (the earliest kept past the cap). */
export function nextState(state: InboundState | undefined, sources: number, answeredPorts: readonly string[], at: number, halfLifeMs: number): InboundState {
  const exposed = { ...(state?.exposed ?? {}) };
  for (const p of answeredPorts) if (exposed[p] === undefined && Object.keys(exposed).length < EXPOSED_CAP) exposed[p] = at;
  return { stats: observe(state?.stats ?? emptyStats(), sources, at, halfLifeMs), exposed };
}

export class InboundModel implements DetectionModel {
  readonly id = MODEL_ID;

  async run(ctx: ModelContext): Promise<void> {
    const local = [...ctx.config.networks.local];
    if (local.length === 0 || !hasEvents(ctx, 'zeek.conn')) return;
    const query = connQuery(
      ctx.window,
      { terms: { 'destination.ip': local } },
      { bool: { must_not: [{ terms: { 'source.ip': [...local, ...NON_GLOBAL] } }, { terms: { 'network.transport': ['icmp', 'ipv6-icmp', 'icmp6'] } }] } },
      ...OPENED_BY_ORIGINATOR,
      // A TCP connection picked up mid-stream (data first, state OTH) is the rest of one the device opened, not one the internet opened.
      { bool: { must_not: [{ bool: { filter: [{ term: { 'network.transport': 'tcp' } }], must_not: [{ prefix: { 'zeek.conn.history': 'S' } }] } }] } },
    );
    // A device's buckets may go on in the next page: it is judged with the next page's devices.
    let open: Reached | undefined;
    for await (const page of compositePages(ctx.client, {
      index: CONN_INDEX,
      query,
      size: ctx.config.detector.pageSize,
      sources: [
        { device: { terms: { field: 'destination.ip' } } },
        { port: { terms: { field: 'destination.port', missing_bucket: true } } },
        { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
        { source: { terms: { field: 'source.ip' } } },
      ],
      aggs: {
        first: { min: { field: '@timestamp' } },
        answered: { filter: { terms: { 'zeek.conn.conn_state': ANSWERED_STATES } } },
      },
    })) {
      const done: Reached[] = [];
      for (const b of page) {
        const device = str(b.key.device);
        const source = str(b.key.source);
        if (device === undefined || source === undefined || !ctx.isLocal(device) || !ctx.partition.owns(device)) continue;
        if (ctx.isLocal(source) || !isGlobalUnicast(source)) continue;
        if (device !== open?.device) {
          if (open) done.push(open);
          open = newReached(device);
        }
        addBucket(open, {
          source,
          port: Number(b.key.port ?? 0),
          transport: str(b.key.transport) ?? 'unknown',
          connections: b.doc_count,
          answered: (b.answered as { doc_count?: number } | undefined)?.doc_count ?? 0,
          first: firstTime(b, ctx.window.start),
        });
      }
      if (done.length > 0) await this.judge(ctx, done);
    }
    if (open) await this.judge(ctx, [open]);
    await ctx.baselines.flush();
  }

  private async judge(ctx: ModelContext, reached: Reached[]): Promise<void> {
    const { window } = ctx;
    const known = await ctx.baselines.getMany<InboundState>(MODEL_ID, 'device', reached.map((r) => r.device));
    for (const r of reached) {
      const b = known.get(r.device);
      if (alreadyLearned(b, window.start)) continue;
      const count = r.sources.size + r.untracked;
      const answeredPorts = [...r.ports].filter(([, p]) => p.answered.size > 0).map(([k]) => k);
      const { zone, level } = zoneLevel(ctx, r.device);
      const otZone = level !== undefined && level <= OT_MAX_LEVEL ? zone : undefined;
      const ot = otZone !== undefined || answeredPorts.some(isIndustrial);
      const verdict = judgeInbound(b?.state, count, answeredPorts, ot);
      if (worthWriting(verdict, r.ports.keys(), b?.state)) this.emit(ctx, r, count, verdict, b, ot ? (otZone ?? 'industrial port') : undefined);
      // What triage found malicious or suspicious is not learned, nor what happens in a maintenance window that keeps it out.
      const learn = ctx.maintenance.mayLearn(MODEL_ID, [r.device], window.start) && !ctx.feedback.isTainted(MODEL_ID, r.device);
      const next = learn ? nextState(b?.state, count, answeredPorts, r.first, ctx.halfLifeMs) : (b?.state ?? { stats: emptyStats(), exposed: {} });
      const ref = { model: MODEL_ID, kind: 'device', entity: { type: 'host', id: r.device }, key: r.device };
      ctx.baselines.put(learnedBaseline(ctx, ref, b, r.first, next, { lastSeen: Math.max(b?.last_seen ?? 0, r.first), observed: learn }));
      ctx.count(0, 1);
    }
    await ctx.baselines.spill();
  }

  /** `ot`: why the device is an OT device (its zone, or an industrial port it answers on), when it is one. */
  private emit(ctx: ModelContext, r: Reached, count: number, v: InboundVerdict, b: Baseline<InboundState> | undefined, ot?: string): void {
    const { window } = ctx;
    const sources = [...r.sources.values()].sort((a, c) => c.connections - a.connections || (a.ip < c.ip ? -1 : a.ip > c.ip ? 1 : 0));
    const answered = sources.filter((s) => s.answered > 0);
    const newlyServed = new Set(v.newPorts.flatMap((p) => [...(r.ports.get(p)?.answered ?? [])]));
    // The addresses served on a new port first, then the rest by activity.
    const named = [...sources.filter((s) => newlyServed.has(s.ip)), ...sources.filter((s) => !newlyServed.has(s.ip))].slice(0, MAX_NAMED).map((s) => s.ip);
    const ports = [...r.ports].sort((a, c) => c[1].connections - a[1].connections).map(([k, p]) => ({ port: k, connections: p.connections, answered: p.answered.size }));
    const topPorts = ports.slice(0, 5).map((p) => `${p.port} ${formatCount(p.connections)}`);
    const who = `${formatCount(count)} external address${count === 1 ? '' : 'es'} opened ${formatCount(r.connections)} connection${r.connections === 1 ? '' : 's'} to it (${topPorts.join(', ')}${ports.length > 5 ? ', ...' : ''})`;
    const answer = answered.length === 0 ? 'it answered none' : `it answered ${formatCount(answered.length)} of them`;
    const stats = b?.state.stats;
    const history = stats !== undefined && stats.weight >= MIN_WINDOWS;
    const since = b ? `the internet first reached it ${formatAgo(window.end - b.first_seen)} ago` : '';
    const usual = history ? `about ${formatCount(stats!.mean)} usually do per ${ctx.config.detector.windowMinutes}-minute window in which any does` : '';
    let explanation: string;
    if (v.kind === 'exposed_service') {
      const served = v.newPorts.map((p) => `${p} (${formatCount(r.ports.get(p)!.answered.size)})`);
      const before = Object.keys(b?.state.exposed ?? {}).length;
      explanation =
        `${r.device} answered external addresses on ${listing(served)}, ${v.newPorts.length === 1 ? 'a port' : 'ports'} it never served to the internet` +
        `${before === 0 ? ' (it had served none)' : ` (it serves ${before} other${before === 1 ? '' : 's'})`}; ${who}` +
        `${since ? `; ${since}` : ''}.`;
    } else if (v.firstReach) {
      explanation = `${r.device} was reached from the internet for the first time: ${who}; ${answer}.`;
    } else if (v.surge) {
      explanation = `${r.device} was reached from the internet by far more addresses than usual: ${who}, where ${usual}; ${answer}.`;
    } else {
      explanation = `${r.device} was reached from the internet: ${who}; ${answer}${history ? `; ${usual}` : ''}${since ? `; ${since}` : ''}.`;
    }
    if (ot !== undefined) explanation = `${explanation.slice(0, -1)}; it is an OT device (${ot === 'industrial port' ? 'it answers on an industrial port' : `zone ${ot}`}).`;
    const top = sources[0];
    ctx.emit({
      model: MODEL_ID,
      kind: v.kind,
      domain: 'network',
      entity: { type: 'host', id: r.device },
      peer: newlyServed.size > 0 ? { type: 'host', id: named[0] } : top ? { type: 'host', id: top.ip } : undefined,
      key: 'inbound',
      score: v.score,
      time: r.first,
      explanation,
      figures: {
        observed: count,
        expected: history ? round(stats!.mean) : undefined,
        spread: history ? round(spreadOf(stats!, MIN_SPREAD)) : undefined,
        history_windows: b?.observations,
        history_days: b ? round((window.start - b.first_seen) / DAY_MS) : undefined,
        first_seen: b?.first_seen,
        peers: count,
        count: r.connections,
        unit: 'external addresses per window',
        details: {
          z: v.z,
          answered: answered.length,
          newPorts: v.newPorts,
          exposed: Object.keys(b?.state.exposed ?? {}).sort(portOrder),
          ports: ports.slice(0, 20),
          named: named.length,
          ...(ot !== undefined ? { ot } : {}),
        },
      },
      events: {
        index: CONN_INDEX,
        query: eventsLink(window, 'zeek.conn', { 'destination.ip': r.device, ...(v.newPorts.length ? { 'destination.port': v.newPorts.map((p) => Number(p.split('/')[0])) } : {}) }),
        count: r.connections,
      },
      techniques: [
        ...(v.kind === 'exposed_service'
          ? [{ id: 'T1133', name: 'External Remote Services' }, { id: 'T1190', name: 'Exploit Public-Facing Application' }]
          : [{ id: 'T1595', name: 'Active Scanning' }]),
        ...(ot !== undefined ? [icsTechnique('T0883')] : []),
      ],
      related: { ip: [r.device, ...named] },
      destination: { ip: r.device, ...(v.newPorts.length ? { port: Number(v.newPorts[0].split('/')[0]) } : {}) },
      ...(top ? { source: { ip: newlyServed.size > 0 ? named[0] : top.ip } } : {}),
      network: { direction: 'inbound', ...(v.newPorts.length ? { transport: v.newPorts[0].split('/')[1] } : {}) },
    });
  }
}
