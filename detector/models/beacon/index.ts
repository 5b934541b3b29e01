import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS } from '../../baseline/decay';
import { compositePages, windowQuery, type CompositeBucket } from '../../query/composite';
import { ZEEK_EVENTS_PATTERN } from '../../../common/es/names';
import { eventsLink, NOT_TO_EVERYONE, str } from '../conn-query';
import { round } from '../format';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import { beaconScore, hasEnoughData, type BeaconScore } from './score';

/**
 * Beaconing: connections from a local device to one peer that start on a regular clock, as implants call home.
 *
 * A pair is keyed three ways, each from its own log: address and port (`conn`), TLS server name (`ssl`) and HTTP
 * host (`http`), so that a beacon to a name behind changing CDN addresses is still one series. Each window, one
 * composite sweep per key lists the pair's connection starts at one-second resolution (aggregated, never read as
 * raw documents); the pair's baseline keeps the starts of the last `spanHours`, bounded, so the series spans
 * windows and days without reading old events again. The series is scored by `beaconScore` (a grid fitted to the
 * starts, tolerant of jitter and missed beats).
 *
 * Unanswered attempts count: a bot whose controller is down keeps calling on its clock (every one of the NjRAT
 * capture's 237 connections to its controller is S0), and that is when beaconing is easiest to see.
 *
 * Learned periodic traffic: a pair that beacons on `normalAfterDays` different days (polling, update checks,
 * NTP) is normal and stops alerting, unless a triage decision tainted it; a pair alerts at most once per day.
 */

interface SeriesState {
  /** Connection starts (epoch seconds, whole) of the span, oldest first; `n` repeated starts in one second. */
  t: number[];
  n: number[];
  /** Days (epoch day numbers) on which the pair beaconed. */
  days: number[];
  /** Day of the last anomaly written. */
  alerted?: number;
  /**
   * Last score and period, for dashboards, and the end of the window they were computed in; none while the span
   * holds too few connections to be judged.
   */
  score?: number;
  period?: number;
  scoredAt?: number;
}

const MAX_STARTS = 2048;
const BATCH = 500;
const MIN_SCORE = 0.6;

interface Keying {
  kind: 'conn' | 'tls' | 'http';
  /** Left out of this keying: for connections, lookups to name servers, which the DNS model judges by what they ask. */
  exclude?: Array<Record<string, unknown>>;
  dataset: string;
  peerField: string;
  portField?: string;
  peerType: 'host' | 'domain';
}

const KEYINGS: Keying[] = [
  {
    kind: 'conn',
    dataset: 'zeek.conn',
    peerField: 'destination.ip',
    portField: 'destination.port',
    peerType: 'host',
    exclude: [NOT_TO_EVERYONE, { bool: { must_not: [{ terms: { 'destination.port': [53, 5353, 5355] } }] } }],
  },
  { kind: 'tls', dataset: 'zeek.ssl', peerField: 'tls.client.server_name', peerType: 'domain' },
  { kind: 'http', dataset: 'zeek.http', peerField: 'url.domain', peerType: 'domain' },
];

interface PairSeries {
  key: string;
  source: string;
  peer: string;
  port?: number;
  starts: Array<{ t: number; n: number }>;
}

export class BeaconModel implements DetectionModel {
  readonly id = 'beacon' as const;

  async run(ctx: ModelContext): Promise<void> {
    for (const keying of KEYINGS) await this.sweep(ctx, keying);
  }

  private async sweep(ctx: ModelContext, keying: Keying): Promise<void> {
    if (!hasEvents(ctx, keying.dataset)) return;
    const { window } = ctx;
    let current: PairSeries | undefined;
    let batch: PairSeries[] = [];
    const sources: Array<Record<string, unknown>> = [
      { src: { terms: { field: 'source.ip' } } },
      { peer: { terms: { field: keying.peerField } } },
      ...(keying.portField ? [{ port: { terms: { field: keying.portField } } }] : []),
      { t: { date_histogram: { field: '@timestamp', fixed_interval: '1s' } } },
    ];
    const finish = async (force: boolean) => {
      if (current && force) {
        batch.push(current);
        current = undefined;
      }
      if (batch.length >= BATCH || (force && batch.length > 0)) {
        await this.judge(ctx, keying, batch);
        batch = [];
      }
    };
    for await (const page of compositePages(ctx.client, {
      index: ZEEK_EVENTS_PATTERN,
      query: windowQuery(window.start, window.end, { term: { 'event.dataset': keying.dataset } }, { terms: { 'source.ip': ctx.config.networks.local } }, ...(keying.exclude ?? [])),
      sources,
      size: ctx.config.detector.pageSize,
    })) {
      for (const b of page) {
        const key = pairKey(keying, b);
        if (current?.key !== key) {
          if (current) batch.push(current);
          current = undefined;
          await finish(false);
          const source = str(b.key.src)!;
          if (!ctx.partition.owns(source)) continue;
          current = { key, source, peer: str(b.key.peer)!, port: b.key.port === undefined ? undefined : Number(b.key.port), starts: [] };
        }
        if (current.starts.length < MAX_STARTS) current.starts.push({ t: Math.floor(Number(b.key.t) / 1000), n: b.doc_count });
      }
    }
    await finish(true);
  }

  private async judge(ctx: ModelContext, keying: Keying, pairs: PairSeries[]): Promise<void> {
    const { window, baselines } = ctx;
    const cfg = ctx.config.detector.models.beacon;
    const spanS = cfg.spanHours * 3600;
    const known = await baselines.getMany<SeriesState>(this.id, keying.kind, pairs.map((p) => p.key));
    const day = Math.floor(window.start / DAY_MS);
    for (const pair of pairs) {
      const b = known.get(pair.key);
      if (alreadyLearned(b, window.start)) continue;
      const state: SeriesState = b?.state ?? { t: [], n: [], days: [] };
      // The span's starts: the remembered ones still inside it, then this window's.
      const horizon = Math.floor(window.end / 1000) - spanS;
      const t: number[] = [];
      const n: number[] = [];
      for (let i = 0; i < state.t.length; i++) {
        if (state.t[i] >= horizon) {
          t.push(state.t[i]);
          n.push(state.n[i]);
        }
      }
      for (const s of pair.starts) {
        t.push(s.t);
        n.push(s.n);
      }
      const overflow = t.length - MAX_STARTS;
      if (overflow > 0) {
        t.splice(0, overflow);
        n.splice(0, overflow);
      }
      const connections = n.reduce((a, c) => a + c, 0);
      const tainted = ctx.feedback.isTainted(this.id, pair.source, pair.peer);
      const accepted = ctx.feedback.isAccepted(this.id, pair.source, pair.peer);
      const learnedDays = state.days.filter((d) => d !== day).length;
      const normal = !tainted && (accepted || learnedDays >= cfg.normalAfterDays);
      const mayLearn = ctx.maintenance.mayLearn(this.id, [pair.source], window.start) && !tainted;
      // The series is scored only when its score can change what is written: an alert (at most one a day, never for
      // a normal pair) or a day of beaconing learned. A pair that already did both today, or a normal pair already
      // counted today, keeps its last score: scoring it again every window would change nothing but that figure.
      const mayAlert = !normal && state.alerted !== day;
      const mayLearnDay = mayLearn && !state.days.includes(day);
      const scored = mayAlert || mayLearnDay;
      let result: BeaconScore | undefined;
      if (scored && connections >= cfg.minConnections) {
        const starts = t.map((time, i) => ({ t: time, n: n[i] }));
        if (hasEnoughData(starts).enough) result = beaconScore(starts);
      }
      const beaconing = scored ? result !== undefined && result.score >= MIN_SCORE : state.alerted === day || state.days.includes(day);
      let alerted = state.alerted;
      if (beaconing && mayAlert) {
        this.emit(ctx, keying, pair, result!, b, learnedDays, connections);
        alerted = day;
      }
      const days = beaconing && mayLearnDay ? [...state.days, day].slice(-30) : state.days;
      const ref = { model: this.id, kind: keying.kind, entity: { type: 'host', id: pair.source }, key: pair.key };
      const next: SeriesState = scored
        ? { t, n, days, alerted, ...(result ? { score: result.score, period: result.period, scoredAt: window.end } : {}) }
        : { ...state, t, n, days, alerted };
      const status = tainted ? 'tainted' : normal ? 'normal' : beaconing ? 'beaconing' : 'watching';
      baselines.put(learnedBaseline(ctx, ref, b, pair.starts[0].t * 1000, next, { status, lastSeen: pair.starts[pair.starts.length - 1].t * 1000 }));
      ctx.count(0, 1);
    }
    // Written while the next pairs are read and judged; the pass waits for every write at the model's end.
    await baselines.spill();
  }

  private emit(ctx: ModelContext, keying: Keying, pair: PairSeries, r: BeaconScore, b: Baseline<SeriesState> | undefined, learnedDays: number, connections: number): void {
    const { window } = ctx;
    const target = keying.kind === 'conn' ? `${pair.peer}:${pair.port}` : pair.peer;
    const via = keying.kind === 'tls' ? ' (TLS server name)' : keying.kind === 'http' ? ' (HTTP host)' : '';
    const hours = r.span / 3600;
    // Confidence grows with the number of beats seen: 12 beats is a hint, 60 a certainty.
    const confidence = Math.min(1, 0.55 + r.beats / 130);
    const score = Math.round(100 * r.score * confidence * 10) / 10;
    const first = (b?.first_seen ?? pair.starts[0].t * 1000) as number;
    ctx.emit({
      model: this.id,
      kind: `beacon_${keying.kind}`,
      domain: 'network',
      entity: { type: 'host', id: pair.source },
      peer: { type: keying.peerType, id: pair.peer },
      key: `${keying.kind}|${pair.peer}|${pair.port ?? ''}`,
      score,
      time: pair.starts[0].t * 1000,
      explanation:
        `${pair.source} connects to ${target}${via} every ${formatPeriod(r.period)} (jitter ${round(r.jitter)} s): ${r.beats} of ${r.expectedBeats} beats ` +
        `over ${hours >= 1 ? `${round(hours)} h` : `${Math.round(r.span / 60)} min`}, ${connections} connections` +
        (learnedDays > 0 ? `; it beaconed on ${learnedDays} earlier day${learnedDays === 1 ? '' : 's'}, fewer than the ${ctx.config.detector.models.beacon.normalAfterDays} that make it normal.` : '; this pair never beaconed before.'),
      figures: {
        observed: round(r.score),
        expected: round(r.period),
        spread: round(r.jitter),
        history_days: round((window.end - first) / DAY_MS),
        first_seen: first,
        count: connections,
        unit: 'beacon score (0-1); expected = period in seconds, spread = jitter',
        details: { coverage: round(r.coverage), beats: r.beats, expectedBeats: r.expectedBeats, outliers: r.outliers, companions: r.companions, slips: r.slips, span: r.span },
      },
      events: {
        index: ZEEK_EVENTS_PATTERN,
        query: eventsLink(window, keying.dataset, {
          'source.ip': pair.source,
          [keying.peerField]: pair.peer,
          ...(keying.portField && pair.port !== undefined ? { [keying.portField]: pair.port } : {}),
        }),
        count: pair.starts.reduce((a, s) => a + s.n, 0),
      },
      techniques: [
        { id: 'T1071', name: 'Application Layer Protocol' },
        { id: 'T1573', name: 'Encrypted Channel' },
      ].slice(0, keying.kind === 'tls' ? 2 : 1),
      related: { ip: keying.peerType === 'host' ? [pair.peer] : [], hosts: keying.peerType === 'domain' ? [pair.peer] : [] },
      source: { ip: pair.source },
      destination: keying.kind === 'conn' ? { ip: pair.peer, port: pair.port } : { domain: pair.peer },
    });
  }
}

function pairKey(keying: Keying, b: CompositeBucket): string {
  return `${b.key.src}|${b.key.peer}|${keying.portField ? b.key.port : ''}`;
}

function formatPeriod(s: number): string {
  if (s < 120) return `${round(s)} s`;
  if (s < 7200) return `${round(s / 60)} min`;
  return `${round(s / 3600)} h`;
}
