import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS } from '../../baseline/decay';
import { industrialPort, isIndustrialService } from '../../features/ot';
import { compositePages, firstTime } from '../../query/composite';
import { CONN_INDEX, connQuery, eventsLink, str } from '../conn-query';
import type { DeviceState } from '../new-connection';
import type { ModelContext } from '../model';
import { listing, round } from '../format';
import { formatSpan, icsTechnique, industrialFlowFilter, industrialProtocolOf, IT_MIN_LEVEL, MODEL_ID, notFromOrToEveryone, OT_MAX_LEVEL, SourceBatches, zoneLevel } from './flows';

/**
 * An IT device speaking an industrial protocol: a local source of industrial flows (an industrial service in conn,
 * or an industrial port that IT software does not share) that never spoke one before and is an IT device by
 * configuration (its zone's Purdue level is 3 or more) or, without a zone, by history: the new-connection model's
 * device baseline (`new_connection:device:<ip>`) shows a long history whose ports and protocols are all IT ones.
 *
 * The model keeps its own `talker` baseline per source of industrial flows: once a device spoke an industrial
 * protocol, it is an OT talker and is not reported again. A device first seen speaking one, with no IT history
 * and no IT zone, is an OT device and is learned as such.
 */

export interface TalkerState {
  /** Industrial protocols (or `port/transport`) the source spoke, up to a cap. */
  protocols: string[];
  /** Epoch day of the last update: a talker's baseline is rewritten at most daily unless it speaks something new. */
  day: number;
}

interface Flow {
  peer: string;
  port?: number;
  transport?: string;
  services: string[];
  protocol: string;
  first: number;
  count: number;
}

/** History an unzoned device needs for it to count as an IT device. */
export const IT_MIN_WINDOWS = 24;
export const IT_MIN_DAYS = 1;
const MAX_FLOWS = 50;
const MAX_PROTOCOLS = 32;

/** How much an IT history says, 0 to 1: four weeks and as many windows say all. */
export function itConfidence(days: number, windows: number): number {
  const depth = Math.min(1, Math.max(0, days) / 28);
  const volume = Math.min(1, Math.log10(1 + Math.max(0, windows)) / Math.log10(1 + 28 * 96));
  return round(0.6 * depth + 0.4 * volume, 4);
}

/** 75 for a device in an IT zone, 85 when it reached into an OT zone; 60-85 for an IT device known by history. */
export function itDeviceScore(reason: { zone: true; toOtZone: boolean } | { zone: false; confidence: number }): number {
  return reason.zone ? (reason.toOtZone ? 85 : 75) : round(60 + 25 * reason.confidence, 1);
}

/** Whether the new-connection history holds industrial ports or protocols from before this window's flows. */
export function industrialBefore(state: DeviceState, updatedThisWindow: boolean, flows: readonly { port?: number; transport?: string; services: readonly string[] }[]): boolean {
  const nowPorts = new Set(flows.map((f) => `${f.port}/${f.transport}`));
  const nowServices = new Set(flows.flatMap((f) => f.services));
  for (const entry of state.ports ?? []) {
    const [port, transport] = entry.split('/');
    const known = industrialPort(transport ?? '', Number(port));
    if (known === undefined || known.shared) continue;
    // The new-connection model may already have folded this window in; what this window added is not history.
    if (updatedThisWindow && nowPorts.has(entry)) continue;
    return true;
  }
  for (const service of state.protocols ?? []) {
    if (!isIndustrialService(service)) continue;
    if (updatedThisWindow && nowServices.has(service)) continue;
    return true;
  }
  return false;
}

export async function runItSpeaksOt(ctx: ModelContext): Promise<void> {
  const { window } = ctx;
  const talkers = new SourceBatches<{ source: string; flows: Flow[] }>((batch) => judge(ctx, batch));
  for await (const page of compositePages(ctx.client, {
    index: CONN_INDEX,
    query: connQuery(window, industrialFlowFilter(), notFromOrToEveryone(), { terms: { 'source.ip': ctx.config.networks.local } }),
    sources: [
      { source: { terms: { field: 'source.ip' } } },
      { peer: { terms: { field: 'destination.ip' } } },
      { port: { terms: { field: 'destination.port', missing_bucket: true } } },
      { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
      { service: { terms: { field: 'network.protocol', missing_bucket: true } } },
    ],
    aggs: { first: { min: { field: '@timestamp' } } },
    size: ctx.config.detector.pageSize,
  })) {
    for (const b of page) {
      const source = str(b.key.source)!;
      const current = await talkers.entry(ctx, source, () => ({ source, flows: [] }));
      if (current === undefined) continue;
      const port = b.key.port === null || b.key.port === undefined ? undefined : Number(b.key.port);
      const transport = str(b.key.transport);
      const service = str(b.key.service);
      const services = service === undefined ? [] : [service];
      const peer = str(b.key.peer)!;
      const first = firstTime(b, window.start);
      const same = current.flows.find((f) => f.peer === peer && f.port === port && f.transport === transport);
      if (same) {
        // One flow per peer and port; a connection Zeek gave several services adds a bucket per service.
        if (service !== undefined && !same.services.includes(service)) same.services.push(service);
        same.protocol = industrialProtocolOf(transport, port, same.services) ?? same.protocol;
        same.first = Math.min(same.first, first);
        same.count += b.doc_count;
      } else if (current.flows.length < MAX_FLOWS) {
        const protocol = industrialProtocolOf(transport, port, services) ?? service ?? `${port}/${transport}`;
        current.flows.push({ peer, port, transport, services, protocol, first, count: b.doc_count });
      }
    }
  }
  await talkers.finish();
}

async function judge(ctx: ModelContext, talkers: Array<{ source: string; flows: Flow[] }>): Promise<void> {
  const { window, baselines } = ctx;
  const sources = talkers.map((t) => t.source);
  const known = await baselines.getMany<TalkerState>(MODEL_ID, 'talker', sources);
  // The new-connection model's device history: what the source did on the network apart from industrial flows.
  const history = await baselines.getMany<DeviceState>('new_connection', 'device', sources.filter((s) => !known.has(s)));
  const day = Math.floor(window.start / DAY_MS);
  for (const { source, flows } of talkers) {
    const tb = known.get(source);
    if (alreadyLearned(tb, window.start)) continue;
    const spoken = [...new Set(flows.map((f) => f.protocol))];
    if (tb === undefined) {
      const verdict = itDevice(ctx, source, flows, history.get(source));
      if (verdict) emit(ctx, source, flows, verdict);
    }
    if (!ctx.maintenance.mayLearn(MODEL_ID, [source], window.start)) continue;
    if (ctx.feedback.isTainted(MODEL_ID, source)) continue;
    const protocols = [...(tb?.state.protocols ?? [])];
    for (const p of spoken) if (!protocols.includes(p) && protocols.length < MAX_PROTOCOLS) protocols.push(p);
    if (tb && tb.state.day === day && protocols.length === tb.state.protocols.length) continue;
    const times = flows.map((f) => f.first);
    const ref = { model: MODEL_ID, kind: 'talker', entity: { type: 'host', id: source }, key: source };
    baselines.put(learnedBaseline<TalkerState>(ctx, ref, tb, Math.min(...times), { protocols, day }, { lastSeen: Math.max(...times) }));
    ctx.count(0, 1);
  }
  await baselines.flush();
}

type Verdict =
  | { zone: true; name: string; level: number; toOtZone: boolean }
  | { zone: false; days: number; windows: number; ports: string[]; first: number };

function itDevice(ctx: ModelContext, source: string, flows: Flow[], nc: Baseline<DeviceState> | undefined): Verdict | undefined {
  const { zone, level } = zoneLevel(ctx, source);
  if (zone !== undefined && level !== undefined) {
    if (level < IT_MIN_LEVEL) return undefined;
    const toOtZone = flows.some((f) => {
      const l = zoneLevel(ctx, f.peer).level;
      return l !== undefined && l <= OT_MAX_LEVEL;
    });
    return { zone: true, name: zone, level, toOtZone };
  }
  if (nc === undefined) return undefined;
  const days = (ctx.window.start - nc.first_seen) / DAY_MS;
  if (nc.observations < IT_MIN_WINDOWS || days < IT_MIN_DAYS) return undefined;
  const updatedThisWindow = nc.window !== undefined && nc.window >= ctx.window.start;
  if (industrialBefore(nc.state, updatedThisWindow, flows)) return undefined;
  const ports = (nc.state.ports ?? []).filter((p) => !(updatedThisWindow && flows.some((f) => `${f.port}/${f.transport}` === p)));
  return { zone: false, days, windows: nc.observations, ports, first: nc.first_seen };
}

function emit(ctx: ModelContext, source: string, flows: Flow[], verdict: Verdict): void {
  const { window } = ctx;
  flows.sort((a, b) => a.first - b.first);
  const top = flows[0];
  const peers = [...new Set(flows.map((f) => f.peer))];
  const protocols = [...new Set(flows.map((f) => f.protocol))];
  const score =
    verdict.zone === true ? itDeviceScore({ zone: true, toOtZone: verdict.toOtZone }) : itDeviceScore({ zone: false, confidence: itConfidence(verdict.days, verdict.windows) });
  const target = `${top.peer}${top.port !== undefined ? `:${top.port}/${top.transport}` : ''}`;
  const more = peers.length > 1 ? ` and ${peers.length - 1} other device${peers.length > 2 ? 's' : ''}` : '';
  const why =
    verdict.zone === true
      ? `it is in zone ${verdict.name}, Purdue level ${verdict.level}, an IT zone${verdict.toOtZone ? ', and reached into an OT zone' : ''}`
      : `over ${formatSpan(window.start - verdict.first)} and ${verdict.windows} active windows it had used only IT ports and protocols (${verdict.ports.slice(0, 6).join(', ')}${verdict.ports.length > 6 ? ', ...' : ''})`;
  const count = flows.reduce((n, f) => n + f.count, 0);
  ctx.emit({
    model: MODEL_ID,
    kind: 'ot_it_device',
    domain: 'ot',
    entity: { type: 'host', id: source },
    peer: peers.length === 1 ? { type: 'host', id: top.peer } : undefined,
    key: protocols.join(','),
    score,
    time: top.first,
    explanation: `${source} spoke ${listing(protocols)} for the first time, to ${target}${more}; ${why}.`,
    figures: {
      observed: flows.length,
      expected: 0,
      history_windows: verdict.zone ? undefined : verdict.windows,
      history_days: verdict.zone ? undefined : round(verdict.days),
      first_seen: verdict.zone ? undefined : verdict.first,
      peers: peers.length,
      count,
      unit: 'industrial flows',
      details: {
        protocols,
        zone: verdict.zone ? { name: verdict.name, level: verdict.level } : undefined,
        flows: flows.slice(0, 20).map((f) => ({ peer: f.peer, port: f.port, transport: f.transport, protocol: f.protocol, count: f.count, first: new Date(f.first).toISOString() })),
      },
    },
    events: { index: CONN_INDEX, query: eventsLink(window, 'zeek.conn', { 'source.ip': source, 'destination.ip': peers.slice(0, 100) }), count },
    techniques: [icsTechnique('T0886')],
    related: { ip: [source, ...peers.slice(0, 100)] },
    source: { ip: source },
    destination: { ip: top.peer, port: top.port },
    network: { transport: top.transport, protocol: top.protocol },
  });
}
