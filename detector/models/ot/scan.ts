import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, emptyStats, observe, robustZ, scoreFrom, spreadOf, type EwStats } from '../../baseline/decay';
import { compositePages, firstTime } from '../../query/composite';
import { CONN_INDEX, connQuery, eventsLink, str } from '../conn-query';
import type { ModelContext } from '../model';
import { listing, round } from '../format';
import { formatSpan, icsTechnique, industrialFlowFilter, MODEL_ID, notFromOrToEveryone, OT_MAX_LEVEL, SourceBatches, zoneLevel } from './flows';

/**
 * Scans of OT address space: a local source reaching many distinct OT devices in one window, far more than it
 * usually does (ATT&CK for ICS T0846, Remote System Discovery). An OT device is a destination in a zone of Purdue
 * level 2 or below, or one reached on an industrial port or with an industrial service. Host discovery by ICMP
 * counts: a ping sweep of a control network is discovery too.
 *
 * The `reach` baseline of each source holds the decayed mean and spread of the OT devices it reaches per window
 * in which it reaches any. A source with history is judged by how far above its mean it goes; one without is
 * judged only on a large absolute number, since a SCADA master polling its outstations reaches many devices from
 * its first window on (and is then learned).
 */

export interface ReachState {
  stats: EwStats;
  /** Epoch day of the last anomaly: a source is reported at most once a day. */
  alerted?: number;
}

interface Reach {
  source: string;
  devices: number;
  byZone: number;
  byPort: number;
  flows: number;
  sample: string[];
  zones: string[];
  first: number;
}

/** Windows of history before a source is judged against its own mean. */
export const MIN_REACH_WINDOWS = 4;
/** Fewest OT devices that make a scan at all, and the z-score above the source's mean that makes it unusual. */
export const MIN_SCAN_DEVICES = 8;
export const MIN_Z = 4;
/** OT devices a source without history must reach in one window to be reported. */
export const NEW_SOURCE_SCAN_DEVICES = 24;
/** Floor of the spread: reaching two or three devices more than usual is noise. */
const MIN_SPREAD = 2;
const SAMPLE = 20;

/** The verdict on one window's reach: whether it is a scan, and its score. */
export function judgeReach(stats: EwStats | undefined, devices: number): { scan: boolean; score: number; z?: number } {
  if (stats !== undefined && stats.weight >= MIN_REACH_WINDOWS) {
    const z = robustZ(stats, devices, MIN_SPREAD);
    return { scan: devices >= MIN_SCAN_DEVICES && z >= MIN_Z, score: scoreFrom(z, 5, 1.5), z: round(z) };
  }
  return { scan: devices >= NEW_SOURCE_SCAN_DEVICES, score: scoreFrom(devices, 32, 8) };
}

function otZoneSubnets(ctx: ModelContext): string[] {
  return ctx.config.zones.filter((z) => z.level !== undefined && z.level <= OT_MAX_LEVEL).flatMap((z) => z.subnets);
}

export async function runScan(ctx: ModelContext): Promise<void> {
  const { window } = ctx;
  const zoneSubnets = otZoneSubnets(ctx);
  const otDestination = {
    bool: { should: [industrialFlowFilter(), ...(zoneSubnets.length ? [{ terms: { 'destination.ip': zoneSubnets } }] : [])], minimum_should_match: 1 },
  };
  // A source that reached no OT device has nothing to judge.
  const reaches = new SourceBatches<Reach>((batch) => judge(ctx, batch), (r) => r.devices > 0);
  for await (const page of compositePages(ctx.client, {
    index: CONN_INDEX,
    query: connQuery(window, notFromOrToEveryone(), { terms: { 'source.ip': ctx.config.networks.local } }, otDestination),
    sources: [{ source: { terms: { field: 'source.ip' } } }, { peer: { terms: { field: 'destination.ip' } } }],
    aggs: { industrial: { filter: industrialFlowFilter() }, first: { min: { field: '@timestamp' } } },
    size: ctx.config.detector.pageSize,
  })) {
    for (const b of page) {
      const source = str(b.key.source)!;
      const current = await reaches.entry(ctx, source, () => ({ source, devices: 0, byZone: 0, byPort: 0, flows: 0, sample: [], zones: [], first: Number.POSITIVE_INFINITY }));
      if (current === undefined) continue;
      const peer = str(b.key.peer)!;
      if (peer === source) continue;
      const industrial = ((b.industrial as { doc_count?: number } | undefined)?.doc_count ?? 0) > 0;
      const { zone, level } = zoneLevel(ctx, peer);
      // Zones may overlap (a subnet of one inside another's): the zone an address is in is the first that matches.
      const inOtZone = level !== undefined && level <= OT_MAX_LEVEL;
      if (!industrial && !inOtZone) continue;
      current.devices++;
      if (inOtZone) current.byZone++;
      if (industrial) current.byPort++;
      current.flows += b.doc_count;
      current.first = Math.min(current.first, firstTime(b, window.start));
      if (current.sample.length < SAMPLE) current.sample.push(peer);
      if (zone !== undefined && inOtZone && !current.zones.includes(zone)) current.zones.push(zone);
    }
  }
  await reaches.finish();
}

async function judge(ctx: ModelContext, reaches: Reach[]): Promise<void> {
  const { window, baselines } = ctx;
  const known = await baselines.getMany<ReachState>(MODEL_ID, 'reach', reaches.map((r) => r.source));
  const day = Math.floor(window.start / DAY_MS);
  for (const r of reaches) {
    const b = known.get(r.source);
    if (alreadyLearned(b, window.start)) continue;
    const state: ReachState = b?.state ?? { stats: emptyStats() };
    const verdict = judgeReach(b?.state.stats, r.devices);
    let alerted = state.alerted;
    if (verdict.scan && state.alerted !== day) {
      emit(ctx, r, verdict, b);
      alerted = day;
    }
    // A scan is learned like any window (a master that starts polling more outstations becomes normal); triage
    // that finds it malicious or suspicious keeps it out.
    const learn = ctx.maintenance.mayLearn(MODEL_ID, [r.source], window.start) && !ctx.feedback.isTainted(MODEL_ID, r.source);
    const next: ReachState = { stats: learn ? observe(state.stats, r.devices, window.start, ctx.halfLifeMs) : state.stats, ...(alerted !== undefined ? { alerted } : {}) };
    const ref = { model: MODEL_ID, kind: 'reach', entity: { type: 'host', id: r.source }, key: r.source };
    baselines.put(learnedBaseline(ctx, ref, b, r.first, next, { lastSeen: Math.max(b?.last_seen ?? 0, r.first), observed: learn }));
    ctx.count(0, 1);
  }
  await baselines.flush();
}

function emit(ctx: ModelContext, r: Reach, verdict: { score: number; z?: number }, b: Baseline<ReachState> | undefined): void {
  const { window } = ctx;
  const stats = b?.state.stats;
  const history = stats !== undefined && stats.weight >= MIN_REACH_WINDOWS;
  const how = [r.byZone > 0 ? `${r.byZone} in OT zone${r.zones.length === 1 ? '' : 's'} ${listing(r.zones)}` : '', r.byPort > 0 ? `${r.byPort} on industrial ports` : '']
    .filter((s) => s !== '')
    .join(', ');
  const against = history
    ? `it usually reaches about ${round(stats!.mean, 1)} per active window (over ${formatSpan(window.start - b!.first_seen)})`
    : b
      ? `it had reached at most a few before (${b.observations} earlier window${b.observations === 1 ? '' : 's'})`
      : 'it had not reached any OT device before';
  ctx.emit({
    model: MODEL_ID,
    kind: 'ot_scan',
    domain: 'ot',
    entity: { type: 'host', id: r.source },
    key: 'reach',
    score: verdict.score,
    time: r.first,
    explanation: `${r.source} reached ${r.devices} OT devices in ${ctx.config.detector.windowMinutes} minutes (${how}); ${against}.`,
    figures: {
      observed: r.devices,
      expected: history ? round(stats!.mean) : undefined,
      spread: history ? round(spreadOf(stats!, MIN_SPREAD)) : undefined,
      history_windows: b?.observations,
      history_days: b ? round((window.start - b.first_seen) / DAY_MS) : undefined,
      first_seen: b?.first_seen,
      peers: r.devices,
      count: r.flows,
      unit: 'OT devices per window',
      details: { z: verdict.z, byZone: r.byZone, byPort: r.byPort, zones: r.zones, sample: r.sample },
    },
    events: {
      index: CONN_INDEX,
      query: eventsLink(window, 'zeek.conn', { 'source.ip': r.source }),
      count: r.flows,
    },
    techniques: [icsTechnique('T0846')],
    related: { ip: [r.source, ...r.sample] },
    source: { ip: r.source },
  });
}
