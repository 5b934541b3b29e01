import * as ipaddr from 'ipaddr.js';
import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, decayFactor, emptyStats, hourOfWeek, observe, robustZ, scoreFrom, spreadOf, type EwStats } from '../../baseline/decay';
import { compositePages, type CompositeBucket } from '../../query/composite';
import { CONN_INDEX, connQuery, str } from '../conn-query';
import { ipToBytes } from '../../../ingest/enrich/community-id';
import { figure, formatBytes, formatCount, round } from '../format';
import { hasEvents, type DetectionModel, type DetectionWindow, type ModelContext } from '../model';

/**
 * Volume: how much a local device sends, receives, opens and accepts per window, against its own seasonal
 * baseline. Large upward deviations are what matter: a workstation that uploads a gigabyte at night
 * (exfiltration), a controller that suddenly opens thousands of connections (scanning, a flood).
 *
 * What is measured, per device and window, in four directions (peer outside or inside the local networks):
 * - `outbound`: bytes the device sent to external hosts, whichever side opened the connection (`source.bytes`
 *   of connections it opened plus `destination.bytes` of connections external hosts opened to it), connections
 *   it opened to external hosts, and how many distinct external hosts it opened them to.
 * - `inbound`: bytes it received from external hosts (the other two byte counts), connections external hosts
 *   opened to it, and how many distinct external hosts did.
 * - `internal_out` / `internal_in`: the same with local peers.
 * Bytes are Zeek's payload counts (`orig_bytes`/`resp_bytes`). Zeek writes a connection once, with the time it
 * started: a long transfer counts in full in the window where it began.
 *
 * Baseline: for every series, exponentially weighted mean and mean absolute deviation (`EwStats`, decayed with
 * the configured half-life) of the values and of their logarithms, once per hour-of-week slot (168, so Monday
 * 02:00 is compared with earlier Mondays at 02:00) and once over all hours. A slot with too little history yet
 * (about two weeks of that hour) falls back to the all-hours series. Only windows in which the device had
 * traffic are folded in: a switched-off laptop does not drag its figures to zero. Values folded in are clipped
 * to a few spreads above the mean, so one burst (unless an analyst accepted it) cannot make the next burst look
 * normal.
 *
 * A device is judged once it has `minHistoryWindows` active windows. A direction's score comes from its most
 * deviant series: the z-score of the logarithm (how many of the device's usual variations the jump is), bounded
 * by the z-score of the value itself against a spread floor (a thousandfold jump of a few kilobytes is not an
 * incident), through a logistic curve, times a confidence that grows with history. Only upward deviations are
 * scored; a device that goes quiet produces no events for this model to aggregate and is left to checks that
 * walk the inventory (a drop of a device still talking is not reported either: it would be noise at this
 * model's scale). One anomaly per device, direction and window at most.
 *
 * Reading: two composite sweeps per window, both ordered by the device address, walked in step (a merge join):
 * connections keyed by `source.ip` among local originators (what the device opened) and keyed by
 * `destination.ip` among local responders (what it accepted). Each bucket carries sums of both byte fields and
 * the distinct-peer count, split by filter sub-aggregations into external and internal peers, so a device's
 * four directions are complete when both sweeps have passed it. One sweep cannot do this: a composite key has
 * a single role, and a bucket's sub-aggregations cannot tell whether the device was the originator of a
 * connection. Memory holds at most a page of each sweep and a page of devices being judged.
 */

export const DIRECTIONS = ['outbound', 'inbound', 'internal_out', 'internal_in'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const METRICS = ['bytes', 'connections', 'peers'] as const;
export type Metric = (typeof METRICS)[number];

export type Volume = Record<Metric, number>;
export type DeviceVolume = Record<Direction, Volume>;
/**
 * A series' statistics twice: of the values as they are (the usual amount and its spread, as a person reads them)
 * and of their logarithm (`ln(1 + x)`), which is what the score uses. Traffic volumes are heavy-tailed: a laptop
 * that now and then downloads a hundred times its usual amount has a wide spread of logarithms and is not
 * surprised by the next burst, while a controller whose volume never varies has a narrow one.
 */
export interface MetricStats {
  raw: EwStats;
  log: EwStats;
}
export type SeriesStats = Record<Direction, Record<Metric, MetricStats>>;

export interface VolumeState {
  series: SeriesStats;
}

/** One side of a sweep bucket: connections with external or with internal peers. */
export interface SideTotals {
  connections: number;
  /** Bytes the device sent (its own byte field in its role). */
  sent: number;
  /** Bytes the device received. */
  received: number;
  /** Distinct peers (approximate above a few thousand: cardinality aggregation). */
  peers: number;
}

export interface SweepTotals {
  external: SideTotals;
  internal: SideTotals;
  /** Time of the first connection. */
  first?: number;
}

/** Active windows (of the slot) before a slot's own figures are used instead of the all-hours series: two weeks of that hour. */
export const SLOT_MIN_WEIGHT = 6;
/** Spread floors: below them a change is too small to matter, however regular the series. */
export const MIN_SPREAD: Readonly<Record<Metric, number>> = { bytes: 4 * 1_048_576, connections: 20, peers: 5 };
/** Spread floor of the logarithms: a factor of about 1.65, so that no series is so regular that doubling is news. */
export const LOG_MIN_SPREAD = 0.5;
/** Values are clipped to this many spreads above the mean before they are learned. */
const CLIP_SPREADS = 6;
/** Surprise (z-score of the logarithm) that scores 50, and the logistic width: 40 times a steady usual scores about 70. */
const SCORE_MID = 6;
const SCORE_WIDTH = 1.5;
/** Below this score nothing is written: one small step above the usual is not worth a document. */
const EMIT_FLOOR = 20;

const ZERO_SIDE: SideTotals = { connections: 0, sent: 0, received: 0, peers: 0 };

/** The four directions of a device from its two sweep rows (either may be missing). */
export function deviceVolume(opened: SweepTotals | undefined, accepted: SweepTotals | undefined): DeviceVolume {
  const openedExt = opened?.external ?? ZERO_SIDE;
  const openedInt = opened?.internal ?? ZERO_SIDE;
  const acceptedExt = accepted?.external ?? ZERO_SIDE;
  const acceptedInt = accepted?.internal ?? ZERO_SIDE;
  return {
    outbound: { bytes: openedExt.sent + acceptedExt.sent, connections: openedExt.connections, peers: openedExt.peers },
    inbound: { bytes: openedExt.received + acceptedExt.received, connections: acceptedExt.connections, peers: acceptedExt.peers },
    internal_out: { bytes: openedInt.sent + acceptedInt.sent, connections: openedInt.connections, peers: openedInt.peers },
    internal_in: { bytes: openedInt.received + acceptedInt.received, connections: acceptedInt.connections, peers: acceptedInt.peers },
  };
}

export function emptySeries(): SeriesStats {
  const out = {} as SeriesStats;
  const m = (): MetricStats => ({ raw: emptyStats(), log: emptyStats() });
  for (const d of DIRECTIONS) out[d] = { bytes: m(), connections: m(), peers: m() };
  return out;
}

/** Weight of a series as of `t`: its decayed number of observations. */
export function weightAt(stats: EwStats, t: number, halfLifeMs: number): number {
  return stats.weight * decayFactor(t - stats.t, halfLifeMs);
}

export interface Judgement {
  metric: Metric;
  observed: number;
  /** Usual value and its spread, as they are. */
  expected: number;
  spread: number;
  /** z-score of the value as it is (spread floored by `MIN_SPREAD`), and of its logarithm. */
  z: number;
  zLog: number;
  ratio: number;
  score: number;
}

/** Spread of the logarithms, floored. */
export function logSpreadOf(stats: EwStats): number {
  return Math.max(stats.mad * 1.2533, LOG_MIN_SPREAD);
}

/**
 * Score of one series value against its statistics. The surprise is the z-score of the logarithm (how many
 * usual variations of the device the jump is), bounded by half the z-score of the value itself with its spread
 * floor (so that a thousandfold jump of a few kilobytes stays small), through a logistic curve (6 scores 50, 7.5
 * about 73), times `confidence`. Downward deviations score 0.
 */
export function judgeSeries(metric: Metric, stats: MetricStats, observed: number, confidence: number): Judgement {
  const floor = MIN_SPREAD[metric];
  const spread = spreadOf(stats.raw, floor);
  const z = robustZ(stats.raw, observed, floor);
  const zLog = (Math.log1p(observed) - stats.log.mean) / logSpreadOf(stats.log);
  const ratio = observed / Math.max(stats.raw.mean, floor);
  const surprise = Math.min(zLog, z / 2);
  const score = surprise > 0 ? Math.round(scoreFrom(surprise, SCORE_MID, SCORE_WIDTH) * confidence * 10) / 10 : 0;
  return { metric, observed, expected: stats.raw.mean, spread, z, zLog, ratio, score };
}

/** Confidence in a device's baseline: 0.6 when it just has the minimum history, 1 from four times that. */
export function historyConfidence(windows: number, minWindows: number): number {
  if (windows < minWindows) return 0;
  return Math.min(1, 0.6 + (0.4 * (windows - minWindows)) / (3 * minWindows));
}

/**
 * Folds a value into a series' statistics, clipped (when `clip`) a few spreads above the mean on both scales, so
 * that one burst does not make the next look normal.
 */
export function learnValue(stats: MetricStats, reference: MetricStats, metric: Metric, observed: number, t: number, halfLifeMs: number, clip: boolean): MetricStats {
  const raw = clip && reference.raw.weight > 0 ? Math.min(observed, reference.raw.mean + CLIP_SPREADS * spreadOf(reference.raw, MIN_SPREAD[metric])) : observed;
  const log = clip && reference.log.weight > 0 ? Math.min(Math.log1p(observed), reference.log.mean + CLIP_SPREADS * logSpreadOf(reference.log)) : Math.log1p(observed);
  return { raw: observe(stats.raw, raw, t, halfLifeMs), log: observe(stats.log, log, t, halfLifeMs) };
}

const ipBytes = new Uint8Array(16);
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** `::ffff:0:0/96`, where IPv4 addresses sort among IPv6 ones. */
const V4_MAPPED_HEX = '00000000000000000000ffff';

/**
 * Sort key of an address as Elasticsearch orders `ip` values in a composite aggregation: the 16-byte form, IPv4
 * mapped into IPv6 (`::ffff:a.b.c.d`), compared byte by byte.
 */
export function ipOrderKey(ip: string): string {
  // Addresses as Elasticsearch writes them are read without allocating; any other form goes through ipaddr.js.
  const length = ipToBytes(ip, ipBytes);
  if (length === 4) return `${V4_MAPPED_HEX}${HEX[ipBytes[0]]}${HEX[ipBytes[1]]}${HEX[ipBytes[2]]}${HEX[ipBytes[3]]}`;
  if (length === 16) {
    let key = '';
    for (let i = 0; i < 16; i++) key += HEX[ipBytes[i]];
    return key;
  }
  try {
    const parsed = ipaddr.parse(ip);
    const v6 = parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4).toIPv4MappedAddress() : (parsed as ipaddr.IPv6);
    return Buffer.from(v6.toByteArray()).toString('hex');
  } catch {
    return `~${ip}`;
  }
}

export interface MergedRow<T> {
  device: string;
  opened?: T;
  accepted?: T;
}

/**
 * Walks two streams of rows sorted by device address (Elasticsearch's `ip` order) in step, pairing the rows of
 * the same device. Holds one row of each stream at a time.
 */
export async function* mergeByDevice<T>(
  opened: AsyncIterable<{ device: string; row: T }>,
  accepted: AsyncIterable<{ device: string; row: T }>,
): AsyncGenerator<MergedRow<T>> {
  const a = opened[Symbol.asyncIterator]();
  const b = accepted[Symbol.asyncIterator]();
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && ipOrderKey(x.value.device) < ipOrderKey(y.value.device))) {
      yield { device: x.value!.device, opened: x.value!.row };
      x = await a.next();
    } else if (x.done || ipOrderKey(y.value.device) < ipOrderKey(x.value.device)) {
      yield { device: y.value.device, accepted: y.value.row };
      y = await b.next();
    } else {
      yield { device: x.value.device, opened: x.value.row, accepted: y.value.row };
      x = await a.next();
      y = await b.next();
    }
  }
}

const DIRECTION_TEXT: Record<Direction, Record<Metric, (v: number, peers: number) => string>> = {
  outbound: {
    bytes: (v) => `sent ${formatBytes(v)} to external hosts`,
    connections: (v, p) => `opened ${formatCount(v)} connections to ${formatCount(p)} external host${p === 1 ? '' : 's'}`,
    peers: (v) => `opened connections to ${formatCount(v)} distinct external hosts`,
  },
  inbound: {
    bytes: (v) => `received ${formatBytes(v)} from external hosts`,
    connections: (v, p) => `accepted ${formatCount(v)} connections from ${formatCount(p)} external host${p === 1 ? '' : 's'}`,
    peers: (v) => `was contacted by ${formatCount(v)} distinct external hosts`,
  },
  internal_out: {
    bytes: (v) => `sent ${formatBytes(v)} to internal hosts`,
    connections: (v, p) => `opened ${formatCount(v)} connections to ${formatCount(p)} internal host${p === 1 ? '' : 's'}`,
    peers: (v) => `opened connections to ${formatCount(v)} distinct internal hosts`,
  },
  internal_in: {
    bytes: (v) => `received ${formatBytes(v)} from internal hosts`,
    connections: (v, p) => `accepted ${formatCount(v)} connections from ${formatCount(p)} internal host${p === 1 ? '' : 's'}`,
    peers: (v) => `was contacted by ${formatCount(v)} distinct internal hosts`,
  },
};

/** ATT&CK technique a direction's deviation fits, given which series deviated and how spread over peers it is. */
export function techniqueFor(direction: Direction, metric: Metric, volume: Volume): { id: string; name: string } {
  // Many connections to many distinct peers is a sweep; many to few peers is a flood.
  const sweep = metric === 'peers' || (metric === 'connections' && volume.peers >= Math.max(20, volume.connections / 4));
  switch (direction) {
    case 'outbound':
      if (metric === 'bytes') return { id: 'T1048', name: 'Exfiltration Over Alternative Protocol' };
      return sweep ? { id: 'T1046', name: 'Network Service Discovery' } : { id: 'T1498', name: 'Network Denial of Service' };
    case 'inbound':
      if (metric === 'bytes') return { id: 'T1105', name: 'Ingress Tool Transfer' };
      return sweep ? { id: 'T1595', name: 'Active Scanning' } : { id: 'T1498', name: 'Network Denial of Service' };
    case 'internal_out':
      if (metric === 'bytes') return { id: 'T1570', name: 'Lateral Tool Transfer' };
      return sweep ? { id: 'T1046', name: 'Network Service Discovery' } : { id: 'T1499', name: 'Endpoint Denial of Service' };
    case 'internal_in':
      if (metric === 'bytes') return { id: 'T1074', name: 'Data Staged' };
      return { id: 'T1499', name: 'Endpoint Denial of Service' };
  }
}

interface Row {
  sweep: SweepTotals;
  events: number;
}

export class VolumeModel implements DetectionModel {
  readonly id = 'volume' as const;

  async run(ctx: ModelContext): Promise<void> {
    const local = ctx.config.networks.local;
    if (local.length === 0 || !hasEvents(ctx, 'zeek.conn')) return;
    const size = ctx.config.detector.pageSize;
    const opened = rows(ctx, local, 'source.ip', 'destination.ip', 'source.bytes', 'destination.bytes', size);
    const accepted = rows(ctx, local, 'destination.ip', 'source.ip', 'destination.bytes', 'source.bytes', size);
    let batch: Array<MergedRow<Row>> = [];
    let last: string | undefined;
    for await (const merged of mergeByDevice(opened, accepted)) {
      // The merge relies on both sweeps being in Elasticsearch's address order; say so if they are not.
      const key = ipOrderKey(merged.device);
      if (last !== undefined && key <= last) ctx.log.warn({ device: merged.device }, 'volume: sweeps out of address order; device judged in parts');
      last = key;
      ctx.count((merged.opened?.events ?? 0) + (merged.accepted?.sweep.external.connections ?? 0), 0);
      if (!ctx.isLocal(merged.device) || !ctx.partition.owns(merged.device)) continue;
      batch.push(merged);
      if (batch.length >= size) {
        await this.judgeBatch(ctx, batch);
        batch = [];
        // Written while the next batch is read and judged.
        await ctx.baselines.spill();
      }
    }
    if (batch.length > 0) await this.judgeBatch(ctx, batch);
  }

  private async judgeBatch(ctx: ModelContext, batch: Array<MergedRow<Row>>): Promise<void> {
    const { window } = ctx;
    const how = hourOfWeek(window.start);
    const [devices, slots] = await Promise.all([
      ctx.baselines.getMany<VolumeState>(this.id, 'device', batch.map((r) => r.device)),
      ctx.baselines.getMany<VolumeState>(this.id, 'slot', batch.map((r) => slotKey(r.device, how))),
    ]);
    for (const row of batch) {
      const base = devices.get(row.device);
      if (alreadyLearned(base, window.start)) continue;
      const slot = slots.get(slotKey(row.device, how));
      const volume = deviceVolume(row.opened?.sweep, row.accepted?.sweep);
      const first = Math.min(row.opened?.sweep.first ?? Infinity, row.accepted?.sweep.first ?? Infinity);
      this.judgeDevice(ctx, row.device, volume, base, slot, Number.isFinite(first) ? first : window.start);
      this.learn(ctx, row.device, volume, base, slot, how);
    }
  }

  private judgeDevice(ctx: ModelContext, device: string, volume: DeviceVolume, base: Baseline<VolumeState> | undefined, slot: Baseline<VolumeState> | undefined, first: number): void {
    const { window } = ctx;
    const minWindows = ctx.config.detector.models.volume.minHistoryWindows;
    if (!base || base.observations < minWindows) return;
    const confidence = historyConfidence(base.observations, minWindows);
    for (const direction of DIRECTIONS) {
      const useSlot = slot !== undefined && METRICS.every((m) => weightAt(slot.state.series[direction][m].raw, window.start, ctx.halfLifeMs) >= SLOT_MIN_WEIGHT);
      const stats = (useSlot ? slot : base).state.series[direction];
      const judged = METRICS.map((m) => judgeSeries(m, stats[m], volume[direction][m], confidence));
      const top = judged.reduce((a, b) => (b.score > a.score ? b : a));
      if (top.score < EMIT_FLOOR) continue;
      const historyFrom = useSlot ? slot!.first_seen : base.first_seen;
      const days = (window.start - historyFrom) / DAY_MS;
      const v = volume[direction];
      const fmt = top.metric === 'bytes' ? formatBytes : formatCount;
      const times = top.expected >= 1 ? `${figure(top.observed / top.expected)} times its usual` : 'far above its usual';
      const basis = useSlot ? `for this hour over ${formatSpan(days)}` : `per ${ctx.config.detector.windowMinutes}-minute window over ${formatSpan(days)} (too little history for this hour of the week yet)`;
      const explanation = `${device} ${DIRECTION_TEXT[direction][top.metric](top.observed, v.peers)} ${formatWindow(window)}, ${times} ${fmt(top.expected)} (±${fmt(top.spread)}) ${basis}.`;
      const technique = techniqueFor(direction, top.metric, v);
      ctx.emit({
        model: this.id,
        kind: 'volume_high',
        domain: 'network',
        entity: { type: 'host', id: device },
        key: direction,
        score: top.score,
        time: first,
        explanation,
        figures: {
          observed: top.observed,
          expected: round(top.expected),
          spread: round(top.spread),
          history_windows: base.observations,
          history_days: round((window.start - base.first_seen) / DAY_MS),
          first_seen: base.first_seen,
          peers: v.peers,
          count: v.connections,
          unit: top.metric === 'bytes' ? 'bytes' : top.metric === 'connections' ? 'connections' : 'hosts',
          details: {
            direction,
            metric: top.metric,
            baseline: useSlot ? 'hour_of_week' : 'all_hours',
            hour_of_week: hourOfWeek(window.start),
            z: round(top.z),
            z_log: round(top.zLog),
            ratio: round(top.ratio),
            confidence: round(confidence),
            series: Object.fromEntries(judged.map((j) => [j.metric, { observed: j.observed, expected: round(j.expected), spread: round(j.spread), z: round(j.z), z_log: round(j.zLog), score: j.score }])),
          },
        },
        events: { index: CONN_INDEX, query: eventsQuery(window, device, direction, ctx.config.networks.local), count: eventCount(direction, top.metric, volume) },
        techniques: [technique],
        related: { ip: [device] },
        source: direction === 'inbound' || direction === 'internal_in' ? undefined : { ip: device },
        destination: direction === 'inbound' || direction === 'internal_in' ? { ip: device } : undefined,
        network: { direction: direction === 'outbound' ? 'outbound' : direction === 'inbound' ? 'inbound' : 'internal' },
      });
    }
  }

  private learn(ctx: ModelContext, device: string, volume: DeviceVolume, base: Baseline<VolumeState> | undefined, slot: Baseline<VolumeState> | undefined, how: number): void {
    const { window } = ctx;
    // Activity evaluated as malicious or suspicious, and maintenance that does not learn, stay out of the baseline.
    if (ctx.feedback.isTainted(this.id, device)) return;
    if (!ctx.maintenance.mayLearn(this.id, [device], window.start)) return;
    const minWindows = ctx.config.detector.models.volume.minHistoryWindows;
    // An accepted deviation is the new normal: learned as it is, not clipped.
    const clip = (base?.observations ?? 0) >= minWindows && !ctx.feedback.isAccepted(this.id, device);
    const all = base?.state.series ?? emptySeries();
    const hourly = slot?.state.series ?? emptySeries();
    // Every figure is learned anew: the next series are built, not filled in.
    const nextAll = {} as SeriesStats;
    const nextSlot = {} as SeriesStats;
    for (const d of DIRECTIONS) {
      const slotReady = METRICS.every((m) => weightAt(hourly[d][m].raw, window.start, ctx.halfLifeMs) >= SLOT_MIN_WEIGHT);
      const toAll = {} as Record<Metric, MetricStats>;
      const toSlot = {} as Record<Metric, MetricStats>;
      for (const m of METRICS) {
        const x = volume[d][m];
        toAll[m] = learnValue(all[d][m], all[d][m], m, x, window.start, ctx.halfLifeMs, clip);
        toSlot[m] = learnValue(hourly[d][m], slotReady ? hourly[d][m] : all[d][m], m, x, window.start, ctx.halfLifeMs, clip);
      }
      nextAll[d] = toAll;
      nextSlot[d] = toSlot;
    }
    const entity = { type: 'host', id: device };
    ctx.baselines.put(learnedBaseline(ctx, { model: this.id, kind: 'device', entity, key: device }, base, window.start, { series: nextAll }));
    ctx.baselines.put(learnedBaseline(ctx, { model: this.id, kind: 'slot', entity, key: slotKey(device, how) }, slot, window.start, { series: nextSlot }));
    ctx.count(0, 1);
  }
}

function slotKey(device: string, how: number): string {
  return `${device}@${how}`;
}

/** One sweep's rows, device by device, in Elasticsearch's address order. */
async function* rows(
  ctx: ModelContext,
  local: readonly string[],
  deviceField: string,
  peerField: string,
  sentField: string,
  receivedField: string,
  size: number,
): AsyncGenerator<{ device: string; row: Row }> {
  const sides = {
    sent: { sum: { field: sentField } },
    received: { sum: { field: receivedField } },
    peers: { cardinality: { field: peerField, precision_threshold: 3000 } },
  };
  for await (const page of compositePages(ctx.client, {
    index: CONN_INDEX,
    query: connQuery(ctx.window, { terms: { [deviceField]: [...local] } }),
    size,
    sources: [{ device: { terms: { field: deviceField } } }],
    aggs: {
      first: { min: { field: '@timestamp' } },
      external: { filter: { bool: { must_not: [{ terms: { [peerField]: [...local] } }] } }, aggs: sides },
      internal: { filter: { terms: { [peerField]: [...local] } }, aggs: sides },
    },
  })) {
    for (const b of page) {
      const device = str(b.key.device);
      if (device === undefined) continue;
      const first = (b.first as { value?: number | null } | undefined)?.value;
      yield {
        device,
        row: { sweep: { external: side(b, 'external'), internal: side(b, 'internal'), first: typeof first === 'number' ? first : undefined }, events: b.doc_count },
      };
    }
  }
}

function side(bucket: CompositeBucket, name: string): SideTotals {
  const agg = bucket[name] as { doc_count?: number; sent?: { value?: number | null }; received?: { value?: number | null }; peers?: { value?: number | null } } | undefined;
  const v = (x: { value?: number | null } | undefined) => (typeof x?.value === 'number' && Number.isFinite(x.value) ? x.value : 0);
  return { connections: agg?.doc_count ?? 0, sent: v(agg?.sent), received: v(agg?.received), peers: v(agg?.peers) };
}

/** The connections behind a direction: both roles for bytes, the device's own role for connections and peers. */
function eventsQuery(window: DetectionWindow, device: string, direction: Direction, local: readonly string[]): Record<string, unknown> {
  const externalPeer = direction === 'outbound' || direction === 'inbound';
  const peer = (field: string) => (externalPeer ? { bool: { must_not: [{ terms: { [field]: [...local] } }] } } : { terms: { [field]: [...local] } });
  const asOriginator = { bool: { filter: [{ term: { 'source.ip': device } }, peer('destination.ip')] } };
  const asResponder = { bool: { filter: [{ term: { 'destination.ip': device } }, peer('source.ip')] } };
  const outward = direction === 'outbound' || direction === 'internal_out';
  return connQuery(window, { bool: { should: outward ? [asOriginator, asResponder] : [asResponder, asOriginator], minimum_should_match: 1 } });
}

function eventCount(direction: Direction, metric: Metric, volume: DeviceVolume): number {
  if (metric !== 'bytes') return volume[direction].connections;
  // Bytes flow both ways over connections either side opened.
  return direction === 'outbound' || direction === 'inbound' ? volume.outbound.connections + volume.inbound.connections : volume.internal_out.connections + volume.internal_in.connections;
}

/** `between 02:00 and 02:15 UTC on 2022-06-13`. */
export function formatWindow(window: DetectionWindow): string {
  const s = new Date(window.start).toISOString();
  const e = new Date(window.end).toISOString();
  return `between ${s.slice(11, 16)} and ${e.slice(11, 16)} UTC on ${s.slice(0, 10)}`;
}

/** `21 days`, `6 hours`. */
export function formatSpan(days: number): string {
  if (days < 1) return `${Math.max(1, Math.round(days * 24))} hour${Math.round(days * 24) <= 1 ? '' : 's'}`;
  const d = Math.round(days);
  return `${d} day${d === 1 ? '' : 's'}`;
}

