/**
 * The baseline of the evaluation: RITA's published beacon score (`ritaBeaconScore`, the v4.6-v4.8 formula) on the
 * very events the detector saw, read back from Elasticsearch.
 *
 * Connections are grouped by (source.ip, destination.ip, destination.port) of the Zeek conn events. RITA itself keys
 * a unique connection by source and destination only, and its importer drops internal-to-internal,
 * external-to-external and external-to-internal connections; here every pair of every direction is scored, so the
 * baseline sees everything the detector sees.
 *
 * Reading: one composite aggregation keyed by the pair, the connection start truncated to the second (RITA
 * truncates to whole seconds anyway) and `zeek.conn.orig_ip_bytes` (RITA's data size). Composite buckets come
 * sorted by their sources, so the buckets of one pair are contiguous: a pair is scored as soon as the next one
 * starts, and memory holds one pair's connections at a time, never the whole capture.
 *
 * Threshold: a pair is an alert when its score is at least 0.5. RITA's default configuration
 * (activecm/rita `default_config.hjson`, `scoring.beacon.score_thresholds.base: 50`) puts a beacon below `base`
 * in no threat category, and RITA's own tests require a threat score for every beacon with
 * `beacon_score >= base / 100`. (RITA v4's `show-beacons` listed every analyzed pair, `beacon.Results(res, 0)`,
 * and early releases cut at 0.7 by default; the current release's threshold is the one used here.)
 */
import type { Client } from '@elastic/elasticsearch';
import { RITA_DEFAULTS, ritaBeaconScore, type RitaBeaconResult } from '../detector/models/beacon/rita';
import type { Alert } from '../detector/eval/metrics';
import { CONN_INDEX } from '../detector/models/conn-query';
import { compositePages, type CompositeBucket } from '../detector/query/composite';

/** RITA's default `scoring.beacon.score_thresholds.base` (50 of 100), as a fraction like `ritaBeaconScore`'s. */
export const RITA_SCORE_THRESHOLD = 0.5;

const CONN_FILTER = { term: { 'event.dataset': 'zeek.conn' } };

export interface RitaPair {
  src: string;
  dst: string;
  /** Null for connections without a responder port. */
  port: number | null;
  connections: number;
  /** Epoch seconds of the first connection. */
  first: number;
  result: RitaBeaconResult;
}

export interface RitaBaseline {
  threshold: number;
  /** Epoch seconds of the first and last conn event: RITA's dataset span (its histogram's 24 "hours"). */
  dataset: { start: number; end: number } | null;
  pairs: number;
  analyzed: number;
  /** Pairs with more connections than RITA's strobe limit: RITA reports them apart, not as beacons. */
  strobes: number;
  /** Pairs at or above the threshold, as alerts ranked by score (highest first). */
  alerts: Alert[];
  /** The highest-scoring pairs, with RITA's sub-scores, for the record. */
  top: Array<Omit<RitaPair, 'result'> & { score: number; tsScore: number; dsScore: number; durScore: number; histScore: number }>;
}

/** The composite sources: pair first, so that a pair's buckets are contiguous. */
export const RITA_SOURCES = [
  { src: { terms: { field: 'source.ip' } } },
  { dst: { terms: { field: 'destination.ip' } } },
  { port: { terms: { field: 'destination.port', missing_bucket: true } } },
  { ts: { date_histogram: { field: '@timestamp', fixed_interval: '1s' } } },
  { bytes: { terms: { field: 'zeek.conn.orig_ip_bytes', missing_bucket: true } } },
];

/** First and last conn event (epoch seconds), or null when there is none. */
export async function connSpan(client: Client): Promise<{ start: number; end: number } | null> {
  const r = await client.search({
    index: CONN_INDEX,
    size: 0,
    track_total_hits: false,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { bool: { filter: [CONN_FILTER] } },
    aggs: { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } },
  });
  const aggs = r.aggregations as { first?: { value: number | null }; last?: { value: number | null } } | undefined;
  const first = aggs?.first?.value;
  const last = aggs?.last?.value;
  return typeof first === 'number' && typeof last === 'number' ? { start: first / 1000, end: last / 1000 } : null;
}

/**
 * Scores every pair of a stream of composite pages (keys `src`, `dst`, `port`, `ts` in epoch ms, `bytes`) with
 * `ritaBeaconScore`. `dataset` is the span RITA's histogram and duration scores are taken over.
 */
export async function ritaFromBuckets(
  pages: AsyncIterable<CompositeBucket[]>,
  dataset: { start: number; end: number } | null,
  threshold = RITA_SCORE_THRESHOLD,
  keepTop = 20,
): Promise<RitaBaseline> {
  const out: RitaBaseline = { threshold, dataset, pairs: 0, analyzed: 0, strobes: 0, alerts: [], top: [] };
  let key: string | undefined;
  let current: { src: string; dst: string; port: number | null; ts: number[]; bytes: number[]; count: number } | undefined;
  const finish = () => {
    if (!current) return;
    out.pairs++;
    if (current.count > RITA_DEFAULTS.strobeLimit) {
      out.strobes++;
      return;
    }
    const result = ritaBeaconScore({ timestamps: current.ts, bytes: current.bytes, ...(dataset ? { dataset } : {}) });
    if (!result.analyzed) return;
    out.analyzed++;
    let first = Infinity;
    for (const t of current.ts) if (t < first) first = t;
    const pair = { src: current.src, dst: current.dst, port: current.port, connections: current.count, first };
    out.top.push({ ...pair, score: result.score, tsScore: result.tsScore, dsScore: result.dsScore, durScore: result.durScore, histScore: result.histScore });
    out.top.sort((a, b) => b.score - a.score || a.first - b.first);
    if (out.top.length > keepTop) out.top.pop();
    if (result.score < threshold) return;
    out.alerts.push({
      id: `rita:${current.src}>${current.dst}:${current.port ?? '-'}`,
      score: result.score,
      time: first,
      entity: current.src,
      related: [current.src, current.dst],
      model: 'rita_beacon',
    });
  };
  for await (const page of pages) {
    for (const b of page) {
      const src = String(b.key.src);
      const dst = String(b.key.dst);
      const port = b.key.port === null || b.key.port === undefined ? null : Number(b.key.port);
      const k = `${src}|${dst}|${port ?? ''}`;
      if (k !== key) {
        finish();
        key = k;
        current = { src, dst, port, ts: [], bytes: [], count: 0 };
      }
      const c = current!;
      c.count += b.doc_count;
      // Past the strobe limit the pair is only counted: RITA does not score it, and its list would grow unbounded.
      if (c.count > RITA_DEFAULTS.strobeLimit) continue;
      const ts = Number(b.key.ts) / 1000;
      const bytes = b.key.bytes === null || b.key.bytes === undefined ? 0 : Number(b.key.bytes);
      for (let i = 0; i < b.doc_count; i++) {
        c.ts.push(ts);
        c.bytes.push(bytes);
      }
    }
  }
  finish();
  out.alerts.sort((a, b) => b.score - a.score || a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

/** RITA's beacon score over every conn pair now in Elasticsearch. */
export async function ritaBaseline(client: Client, options: { threshold?: number; pageSize?: number } = {}): Promise<RitaBaseline> {
  const dataset = await connSpan(client);
  const pages = compositePages(client, {
    index: CONN_INDEX,
    query: { bool: { filter: [CONN_FILTER] } },
    sources: RITA_SOURCES,
    size: options.pageSize ?? 5000,
  });
  return ritaFromBuckets(pages, dataset, options.threshold ?? RITA_SCORE_THRESHOLD);
}
