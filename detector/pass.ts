import type { Client } from '@elastic/elasticsearch';
import type { VigilConfig } from '../common/config/schema';
import type { ModelId } from '../common/config/detector-schema';
import { BASELINES_INDEX, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN, ZEEK_EVENTS_PATTERN } from '../common/es/names';
import type { Logger } from '../common/log';
import { localNetworkMatcher } from '../ingest/enrich/direction';
import { SENSOR_LOGS } from '../ingest/normalize/zeek/logs/diagnostics';
import { TS_FALLBACK_TAG } from '../ingest/normalize/zeek/timestamp';
import { anomalyDocument, type AnomalyDraft } from './anomaly/anomaly';
import { AnomalyWriter } from './anomaly/writer';
import { BaselineStore } from './baseline/store';
import { DAY_MS } from './baseline/decay';
import { loadFeedback } from './feedback/evaluations';
import { MaintenanceCalendar, ZoneMap } from './feedback/scope';
import { groupIncidents, IncidentsInHand } from './incident/group';
import { groupUngroupedAlerts } from './incident/recover';
import { runModels } from './model-runner';
import type { DetectionModel, DetectionWindow, ModelContext } from './models/model';
import { partition as makePartition, type Partition } from './partition';
import { DetectorState } from './state';
import { plural } from './models/format';

/** Everything one pass did, printed as the `--json` summary line. */
export interface PassSummary {
  partition: string;
  windows: number;
  from?: string;
  to?: string;
  events: number;
  entities: number;
  anomalies: number;
  alerts: number;
  duplicates: number;
  incidents: { created: number; updated: number };
  /** Baselines read from Elasticsearch, read from the detector's cache instead, and written. */
  baselines: { read: number; cached: number; written: number };
  byModel: Record<string, { anomalies: number; alerts: number; seconds: number }>;
  watermark?: string;
  pending: boolean;
  /**
   * Addresses the sensor's Zeek called local (`local_orig`, `local_resp` in conn.log) that `networks.local` does not
   * cover, in the windows of the pass: devices whose pattern of life is not learned. Absent when there are none.
   */
  outsideLocal?: { addresses: number; examples: string[] };
  /**
   * Events that arrived after the last pass had moved its watermark past their time: no model looked at them.
   * Absent when there are none. A floor: an event that arrives during a pass, after its window was read, is counted
   * by no pass.
   */
  late?: LateEvents;
  seconds: number;
}

export interface LateEvents {
  events: number;
  /** Event times of the earliest and the latest of them. */
  from: string;
  to: string;
  /** The watermark they arrived behind. */
  watermark: string;
  /** `detector.lagSeconds`: how long after its end a window was passed. */
  lagSeconds: number;
}

export interface PassOptions {
  client: Client;
  config: VigilConfig;
  models: DetectionModel[];
  log: Logger;
  sensor?: string;
  /** Wall clock (epoch ms); windows end at most `lagSeconds` before it. */
  now?: number;
  /** Process windows up to this event time at most (the evaluation replays a scenario step by step). */
  until?: number;
  partition?: { index: number; count: number };
}

/**
 * How often a pass writes its baselines and moves its watermark, at most. In between, baselines changed by several
 * windows are written once; a pass stopped in between runs those windows again.
 */
const CHECKPOINT_MS = 60_000;

/** Every index the detector reads events from. */
export const EVENT_INDICES = [ZEEK_EVENTS_PATTERN, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN].join(',');

/**
 * One detection pass: every complete window since the watermark, in time order. For each window every enabled
 * model aggregates its events, scores them against its baselines (as they were before the window), emits
 * anomalies and then learns from the window. Anomalies are written with deterministic ids, then grouped into
 * incidents. Baselines are kept in a bounded cache across windows and written at checkpoints (every
 * `CHECKPOINT_MS`, and at the end); the watermark moves at each checkpoint, so a pass stopped halfway resumes after
 * the last one, and the windows it runs again write the same anomaly ids and learn nothing twice.
 * Stretches without events are skipped in one step, so a first pass over old data does not walk through empty
 * years window by window.
 */
export async function runPass(options: PassOptions): Promise<PassSummary> {
  const began = Date.now();
  const { client, config, log } = options;
  const d = config.detector;
  const part = makePartition(options.partition?.index ?? d.partition.index, options.partition?.count ?? d.partition.count);
  const state = new DetectorState(client, part);
  await state.acquire();
  const summary: PassSummary = {
    partition: part.name,
    windows: 0,
    events: 0,
    entities: 0,
    anomalies: 0,
    alerts: 0,
    duplicates: 0,
    incidents: { created: 0, updated: 0 },
    baselines: { read: 0, cached: 0, written: 0 },
    byModel: {},
    pending: false,
    seconds: 0,
  };
  /** The grouping of the last window's incidents, under way. */
  let grouping: Promise<void> = Promise.resolve();
  /** The incidents grouped since the last checkpoint, written at the next one. */
  const incidents = new IncidentsInHand();
  try {
    const { watermark, passes, updated } = await state.watermark();
    const windowMs = d.windowMinutes * 60_000;
    const now = options.now ?? Date.now();
    let limit = now - d.lagSeconds * 1000;
    if (options.until !== undefined) limit = Math.min(limit, options.until);
    const zones = new ZoneMap(config.zones);
    const maintenance = new MaintenanceCalendar(d.maintenance, zones);
    const feedback = await loadFeedback(client);
    const isLocal = localNetworkMatcher(config.networks.local);
    const baselines = new BaselineStore(client, BASELINES_INDEX, { cacheBytes: d.baselineCacheMegabytes * 2 ** 20 });
    // Models run at once finish in any order: incidents are grouped from their anomalies in the models' order.
    const writer = new AnomalyWriter(client, options.models.map((model) => model.id));
    const recovered = await groupUngroupedAlerts(client, part.index, watermark, d.incidentWindowMinutes * 60_000, incidents);
    if (recovered.alerts > 0) {
      summary.incidents.created += recovered.created;
      summary.incidents.updated += recovered.updated;
      log.warn(recovered, `${plural(recovered.alerts, 'alert')} of an earlier pass that stopped before grouping them joined incidents now`);
    }
    let cursor = watermark;
    let last: number | undefined;
    let firstWindow: number | undefined;
    let checkpoint = Date.now();
    while (summary.windows < d.maxWindowsPerPass) {
      const next = await nextEventTime(client, cursor);
      if (next === undefined) break;
      const start = Math.floor(next / windowMs) * windowMs;
      const window: DetectionWindow = { start, end: start + windowMs };
      if (window.end > limit) break;
      firstWindow ??= window.start;
      await runWindow({ window, options, part, baselines, writer, zones, maintenance, feedback, isLocal, summary, sensor: options.sensor });
      // Incidents are grouped after each window, so that a pass holds one window's alerts, not all of them, and
      // written at checkpoints. The grouping runs while the next window's models do (no model reads incidents), one
      // window after the other.
      const held = writer.takeWindow();
      if (held.observationsDropped > 0) log.warn({ window: new Date(window.start).toISOString(), observations: held.observationsDropped }, 'observations past the cap join no incident');
      const before = grouping;
      grouping = (async () => {
        await before;
        const grouped = await groupIncidents(client, held.alerts, d.incidentWindowMinutes * 60_000, Date.now(), held.observations, incidents);
        summary.incidents.created += grouped.created;
        summary.incidents.updated += grouped.updated;
        if (incidents.full) await incidents.settle(client);
      })();
      // Its failure is raised where it is awaited: by the next grouping, a checkpoint or the pass's end.
      grouping.catch(() => undefined);
      summary.windows++;
      summary.from ??= new Date(window.start).toISOString();
      summary.to = new Date(window.end).toISOString();
      cursor = window.end;
      last = window.end;
      if (Date.now() - checkpoint >= CHECKPOINT_MS) {
        await baselines.commit();
        await grouping;
        await incidents.settle(client);
        await state.saveWatermark(cursor, passes + 1);
        checkpoint = Date.now();
      }
      await state.renew();
    }
    // The watermark moves only past windows whose baselines are all written.
    await baselines.commit();
    // The pass's incidents are all grouped, and searchable, when it ends.
    await grouping;
    await incidents.settle(client);
    if (summary.windows === d.maxWindowsPerPass) summary.pending = (await nextEventTime(client, cursor)) !== undefined;
    if (summary.windows > 0 && firstWindow !== undefined && last !== undefined) {
      const outside = await zeekLocalOutside(client, config.networks.local, firstWindow, last);
      if (outside) {
        summary.outsideLocal = outside;
        log.warn({ addresses: outside.addresses, examples: outside.examples }, outsideLocalText(outside));
      }
    }
    // Counted once the windows are done, so that events that arrive during the pass are counted too.
    const checked = Date.now();
    if (watermark !== undefined && updated !== undefined) {
      const late = await lateEvents(client, watermark, updated, checked, d.lagSeconds);
      if (late) {
        summary.late = late;
        log.warn(late, lateText(late));
      }
    }
    summary.anomalies = writer.stats.written;
    summary.alerts = writer.stats.alerts;
    summary.duplicates = writer.stats.duplicates;
    summary.baselines = { read: baselines.stats.read, cached: baselines.stats.cached, written: baselines.stats.written };
    summary.watermark = last !== undefined ? new Date(last).toISOString() : watermark !== undefined ? new Date(watermark).toISOString() : undefined;
    summary.seconds = Math.round((Date.now() - began) / 100) / 10;
    if (last !== undefined) await state.saveWatermark(last, passes + 1, { ...summary }, checked);
    else if (watermark !== undefined) await state.touchWatermark(checked);
    log.info({ summary }, 'detection pass done');
    return summary;
  } finally {
    // A pass that fails lets the grouping under way end, and writes the incidents it grouped, before it gives up its
    // lease. The next pass groups the alerts of those it cannot write.
    await grouping.catch(() => undefined);
    await incidents.settle(client).catch((err: unknown) => {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'the incidents of the failed pass could not be written; the next pass groups their alerts');
    });
    await state.release();
  }
}

interface WindowRun {
  window: DetectionWindow;
  options: PassOptions;
  part: Partition;
  baselines: BaselineStore;
  writer: AnomalyWriter;
  zones: ZoneMap;
  maintenance: MaintenanceCalendar;
  feedback: Awaited<ReturnType<typeof loadFeedback>>;
  isLocal: (ip: string) => boolean;
  summary: PassSummary;
  sensor?: string;
}

async function runWindow(run: WindowRun): Promise<void> {
  const { window, options, part, baselines, writer, zones, maintenance, feedback, summary } = run;
  const { config, client, log } = options;
  const d = config.detector;
  const tally = await windowDatasets(client, window);
  summary.events += tally.events;
  const enabled = options.models.filter((model) => d.models[model.id].enabled);
  await runModels(enabled, d.concurrency, async (model) => {
    const began = Date.now();
    const stats = (summary.byModel[model.id] ??= { anomalies: 0, alerts: 0, seconds: 0 });
    const ctx: ModelContext = {
      client,
      window,
      config,
      baselines,
      partition: part,
      feedback,
      maintenance,
      zones,
      isLocal: run.isLocal,
      log,
      halfLifeMs: d.halfLifeDays * DAY_MS,
      datasets: tally.datasets,
      count(_events, entities) {
        summary.entities += entities;
      },
      emit(draft: AnomalyDraft) {
        const ips = [draft.entity.id, ...(draft.peer ? [draft.peer.id] : [])];
        const w = maintenance.covering(model.id, ips, draft.time);
        const suppression = feedback.suppression(model.id, draft.entity.id, draft.peer?.id, draft.time);
        const doc = anomalyDocument(draft, {
          window,
          alertScore: d.alertScore,
          sensor: run.sensor,
          partition: part.index,
          maintenance: w ? { id: w.id, reference: w.reference } : undefined,
          suppression,
          now: Date.now(),
        });
        writer.add(doc);
        stats.anomalies++;
        if ((doc.document.vigil as { anomaly: { status: string } }).anomaly.status === 'alert') stats.alerts++;
      },
    };
    await model.run(ctx);
    await baselines.flush();
    await writer.flush();
    stats.seconds += (Date.now() - began) / 1000;
  });
}

export function outsideLocalText(o: { addresses: number; examples: string[] }): string {
  return (
    `Zeek marks ${plural(o.addresses, 'address', 'addresses')} local that networks.local does not cover (${o.examples.join(', ')}): ` +
    'no pattern of life is learned for them; add their networks to networks.local.'
  );
}

export function lateText(late: LateEvents): string {
  return (
    `${plural(late.events, 'event', 'events')} from ${late.from} to ${late.to} arrived after the detector had passed their time ` +
    `(its watermark is ${late.watermark}): no model looked at them. A window is passed detector.lagSeconds (${late.lagSeconds} s) after its end; ` +
    'raise it if logs reach Elasticsearch later than that.'
  );
}

/**
 * Events with times before `watermark` that Elasticsearch received (`event.ingested`) in (`since`, `until`]: after
 * the pass that moved the watermark past them had read their windows. Zeek and mail events, without the sensor's
 * own logs and stand-in times (`NOT_NETWORK_TIME`); mail messages are rewritten as their lines arrive, and are not
 * counted.
 */
export async function lateEvents(client: Client, watermark: number, since: number, until: number, lagSeconds: number): Promise<LateEvents | undefined> {
  const r = await client.search({
    index: [ZEEK_EVENTS_PATTERN, MAIL_EVENTS_PATTERN].join(','),
    size: 0,
    track_total_hits: true,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: {
      bool: {
        filter: [
          { range: { '@timestamp': { lt: watermark, format: 'epoch_millis' } } },
          { range: { 'event.ingested': { gt: since, lte: until, format: 'epoch_millis' } } },
        ],
        must_not: [...NOT_NETWORK_TIME],
      },
    },
    aggs: { from: { min: { field: '@timestamp' } }, to: { max: { field: '@timestamp' } } },
  });
  const total = r.hits.total;
  const events = typeof total === 'number' ? total : (total?.value ?? 0);
  const aggs = r.aggregations as { from?: { value: number | null }; to?: { value: number | null } } | undefined;
  if (events === 0 || typeof aggs?.from?.value !== 'number' || typeof aggs?.to?.value !== 'number') return undefined;
  return { events, from: new Date(aggs.from.value).toISOString(), to: new Date(aggs.to.value).toISOString(), watermark: new Date(watermark).toISOString(), lagSeconds };
}

/** Addresses named at most in `outsideLocal`. */
const OUTSIDE_LOCAL_EXAMPLES = 5;

/**
 * Addresses of conn events in [from, to) that Zeek's `Site::local_nets` called local and `networks.local` does
 * not: a site on public addresses whose configuration kept the private defaults.
 */
export async function zeekLocalOutside(client: Client, local: readonly string[], from: number, to: number): Promise<{ addresses: number; examples: string[] } | undefined> {
  const side = (ipField: string, flag: string) => ({
    filter: { bool: { filter: [{ term: { [flag]: true } }], must_not: local.length ? [{ terms: { [ipField]: [...local] } }] : [] } },
    aggs: { count: { cardinality: { field: ipField } }, top: { terms: { field: ipField, size: OUTSIDE_LOCAL_EXAMPLES } } },
  });
  const r = await client.search({
    index: ZEEK_EVENTS_PATTERN,
    size: 0,
    track_total_hits: false,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: [{ term: { 'event.dataset': 'zeek.conn' } }, { range: { '@timestamp': { gte: from, lt: to, format: 'epoch_millis' } } }] } },
    aggs: { orig: side('source.ip', 'zeek.conn.local_orig'), resp: side('destination.ip', 'zeek.conn.local_resp') },
  });
  type Side = { count: { value: number }; top: { buckets: Array<{ key: string }> } };
  const aggs = r.aggregations as { orig?: Side; resp?: Side } | undefined;
  const examples = [...new Set([...(aggs?.orig?.top.buckets ?? []), ...(aggs?.resp?.top.buckets ?? [])].map((b) => String(b.key)))].slice(0, OUTSIDE_LOCAL_EXAMPLES);
  if (examples.length === 0) return undefined;
  // The two sides' counts overlap (a device opens and accepts connections): the larger is a floor of the whole.
  return { addresses: Math.max(aggs?.orig?.count.value ?? 0, aggs?.resp?.count.value ?? 0, examples.length), examples };
}

/** Datasets a window can hold, at most: every Zeek log, ICS logs and mail daemons, with room to spare. */
const MAX_DATASETS = 1000;

/**
 * The window's events, in all and by dataset. The datasets are left unknown (every model sweep runs) when there are
 * more than `MAX_DATASETS` of them.
 */
export async function windowDatasets(client: Client, window: DetectionWindow): Promise<{ events: number; datasets?: Map<string, number> }> {
  const r = await client.search({
    index: EVENT_INDICES,
    size: 0,
    track_total_hits: true,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { range: { '@timestamp': { gte: window.start, lt: window.end, format: 'epoch_millis' } } },
    aggs: { datasets: { terms: { field: 'event.dataset', size: MAX_DATASETS } } },
  });
  const total = r.hits.total;
  const events = typeof total === 'number' ? total : (total?.value ?? 0);
  const agg = r.aggregations?.datasets as { buckets: Array<{ key: string; doc_count: number }>; sum_other_doc_count?: number } | undefined;
  if (!agg || (agg.sum_other_doc_count ?? 0) > 0) return { events };
  return { events, datasets: new Map(agg.buckets.map((b) => [b.key, b.doc_count])) };
}

/**
 * Events whose time is not when something happened on the network: Zeek's logs about itself (`packet_filter`
 * carries the day a capture was read, years after it was taken) and records filed under a stand-in time because
 * their own was missing or unusable. Windows are not stepped by them, nor are they counted late: a replayed archive
 * would otherwise move the watermark to the day it was read and leave every capture read after it behind.
 */
const NOT_NETWORK_TIME: ReadonlyArray<Record<string, unknown>> = [
  { terms: { 'event.dataset': SENSOR_LOGS.map((path) => `zeek.${path}`) } },
  { term: { tags: TS_FALLBACK_TAG } },
];

/**
 * The earliest time of a network event at or after `from` (any event index, the sensor's own logs and stand-in times
 * left out), or undefined when there is none.
 */
export async function nextEventTime(client: Client, from: number | undefined): Promise<number | undefined> {
  const r = await client.search({
    index: EVENT_INDICES,
    size: 0,
    track_total_hits: false,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: from === undefined ? [] : [{ range: { '@timestamp': { gte: from, format: 'epoch_millis' } } }], must_not: [...NOT_NETWORK_TIME] } },
    aggs: { first: { min: { field: '@timestamp' } } },
  });
  const v = (r.aggregations?.first as { value: number | null } | undefined)?.value;
  return typeof v === 'number' ? v : undefined;
}

export type { ModelId };
