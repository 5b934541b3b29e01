/**
 * Test support for the detection models: real corpus records, normalized by the real Zeek normalizer, served by a
 * small in-memory stand-in for the few Elasticsearch requests a model makes (a composite aggregation with the
 * query clauses and sub-aggregations the models use, `mget` and `bulk` for baselines). It lets a model's own
 * `run` walk days of real traffic window by window in a unit test. It is not Elasticsearch: what it does not
 * implement it refuses, so a model that starts asking for more fails its tests instead of being answered wrongly.
 */
import type { Client } from '@elastic/elasticsearch';
import { configSchema, type VigilConfig } from '../../../common/config/schema';
import { silentLogger } from '../../../common/log';
import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { normalizeZeek, type EcsDocument } from '../../../ingest/normalize/zeek';
import type { ZeekRecord } from '../../../ingest/parse/zeek/record';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import { BaselineStore, type Baseline } from '../../baseline/store';
import { DAY_MS } from '../../baseline/decay';
import { NO_FEEDBACK, type Feedback } from '../../feedback/evaluations';
import { MaintenanceCalendar, ZoneMap } from '../../feedback/scope';
import { partition } from '../../partition';
import type { DetectionModel, ModelContext } from '../model';
import { ipOrderKey } from '.';
import { indexedDocs } from '../../baseline/bulk.fixture';

type Query = Record<string, any>;
type Doc = Record<string, unknown>;

/** Records of corpus files (paths relative to the corpus root), each optionally changed (a replay moved in time). */
export function corpusRecords(files: string[], change?: (r: ZeekRecord) => ZeekRecord): ZeekRecord[] {
  const out: ZeekRecord[] = [];
  for (const f of files) for (const r of readZeekLog(f)) out.push(change ? change(r) : r);
  return out;
}

/** A record moved in time by `seconds` (a replay): nothing but `ts` changes. */
export function shifted(seconds: number): (r: ZeekRecord) => ZeekRecord {
  return (r) => (typeof r.fields.ts === 'number' ? { ...r, fields: { ...r.fields, ts: r.fields.ts + seconds } } : r);
}

export function documents(records: ZeekRecord[], local: string[]): EcsDocument[] {
  const ctx = { isLocal: localNetworkMatcher(local), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };
  return records.map((r) => normalizeZeek(r, ctx));
}

function valuesOf(doc: Doc, path: string): unknown[] {
  let cur: unknown[] = [doc];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (c === null || typeof c !== 'object') continue;
      const v = (c as Record<string, unknown>)[part];
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) next.push(...v);
      else next.push(v);
    }
    cur = next;
  }
  // Zeek originals keep dotted names flat (`id.orig_h`); a path may name them whole.
  if (cur.length === 0 && path.includes('.')) {
    const i = path.lastIndexOf('.');
    for (const parent of valuesOf(doc, path.slice(0, i))) {
      if (parent && typeof parent === 'object') {
        for (const [k, v] of Object.entries(parent as Record<string, unknown>)) if (path.endsWith(`.${k}`) && v !== undefined) cur.push(v);
      }
    }
  }
  return cur;
}

const IP_FIELDS = new Set(['source.ip', 'destination.ip', 'related.ip']);

function numeric(path: string, v: unknown): number {
  if (path === '@timestamp') return Date.parse(String(v));
  return Number(v);
}

const matchers = new Map<string, (ip: string) => boolean>();

function equals(path: string, actual: unknown, wanted: unknown): boolean {
  if (IP_FIELDS.has(path) && typeof wanted === 'string' && wanted.includes('/')) {
    let m = matchers.get(wanted);
    if (!m) matchers.set(wanted, (m = localNetworkMatcher([wanted])));
    return m(String(actual));
  }
  return String(actual) === String(wanted);
}

function matches(doc: Doc, q: Query): boolean {
  const [type, body] = Object.entries(q)[0];
  switch (type) {
    case 'match_all':
      return true;
    case 'bool': {
      const all = [...(body.filter ?? []), ...(body.must ?? [])];
      if (!all.every((c: Query) => matches(doc, c))) return false;
      if ((body.must_not ?? []).some((c: Query) => matches(doc, c))) return false;
      const should: Query[] = body.should ?? [];
      const min = body.minimum_should_match ?? (all.length === 0 && should.length > 0 ? 1 : 0);
      return should.filter((c) => matches(doc, c)).length >= min;
    }
    case 'term': {
      const [field, value] = Object.entries(body)[0];
      return valuesOf(doc, field).some((v) => equals(field, v, value));
    }
    case 'terms': {
      const [field, list] = Object.entries(body)[0] as [string, unknown[]];
      return valuesOf(doc, field).some((v) => list.some((w) => equals(field, v, w)));
    }
    case 'range': {
      const [field, r] = Object.entries(body)[0] as [string, Record<string, number>];
      return valuesOf(doc, field).some((raw) => {
        const v = numeric(field, raw);
        return (r.gte === undefined || v >= r.gte) && (r.gt === undefined || v > r.gt) && (r.lt === undefined || v < r.lt) && (r.lte === undefined || v <= r.lte);
      });
    }
    case 'prefix': {
      const [field, p] = Object.entries(body)[0] as [string, string];
      return valuesOf(doc, field).some((v) => String(v).startsWith(p));
    }
    case 'exists':
      return valuesOf(doc, body.field).length > 0;
    default:
      throw new Error(`the corpus stand-in does not implement the ${type} query`);
  }
}

type KeyValue = string | number | null;

function compareKey(path: string, a: KeyValue, b: KeyValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (IP_FIELDS.has(path)) return ipOrderKey(String(a)) < ipOrderKey(String(b)) ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

function keyValue(path: string, v: unknown): KeyValue {
  if (path === '@timestamp') return Date.parse(String(v));
  return typeof v === 'number' ? v : String(v);
}

function aggregate(docs: Doc[], aggs: Query | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(aggs ?? {})) {
    const [type, body] = Object.entries(spec).find(([k]) => k !== 'aggs') as [string, Query];
    switch (type) {
      case 'sum': {
        let s = 0;
        for (const d of docs) for (const v of valuesOf(d, body.field)) s += Number(v);
        out[name] = { value: s };
        break;
      }
      case 'min': {
        let m: number | null = null;
        for (const d of docs) for (const v of valuesOf(d, body.field)) m = m === null ? numeric(body.field, v) : Math.min(m, numeric(body.field, v));
        out[name] = { value: m };
        break;
      }
      case 'cardinality': {
        const set = new Set<string>();
        for (const d of docs) for (const v of valuesOf(d, body.field)) set.add(String(v));
        out[name] = { value: set.size };
        break;
      }
      case 'filter': {
        const inside = docs.filter((d) => matches(d, body));
        out[name] = { doc_count: inside.length, ...aggregate(inside, spec.aggs) };
        break;
      }
      case 'terms': {
        const counts = new Map<string, { key: KeyValue; doc_count: number }>();
        for (const d of docs) {
          for (const v of new Set(valuesOf(d, body.field).map((x) => keyValue(body.field, x)))) {
            const k = String(v);
            const e = counts.get(k) ?? { key: v, doc_count: 0 };
            e.doc_count++;
            counts.set(k, e);
          }
        }
        const buckets = [...counts.values()].sort((a, b) => b.doc_count - a.doc_count || compareKey(body.field, a.key, b.key)).slice(0, body.size ?? 10);
        out[name] = { buckets };
        break;
      }
      default:
        throw new Error(`the corpus stand-in does not implement the ${type} aggregation`);
    }
  }
  return out;
}

/** The stand-in: events of the corpus, and an index of baselines kept in memory. */
export class CorpusEs {
  readonly baselines = new Map<string, Doc>();
  searches = 0;
  /** Events in time order, and their times (epoch ms). */
  private readonly sorted: EcsDocument[];
  private readonly times: number[];

  constructor(readonly docs: EcsDocument[]) {
    this.sorted = [...docs].sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']));
    this.times = this.sorted.map((d) => Date.parse(d['@timestamp']));
  }

  private firstAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Window starts (epoch ms) that hold events, in order. */
  windows(windowMs: number): number[] {
    return [...new Set(this.docs.map((d) => Math.floor(Date.parse(d['@timestamp']) / windowMs) * windowMs))].sort((a, b) => a - b);
  }

  private candidates(query: Query): Doc[] {
    // Every model query starts with a time range; only the events inside it are searched.
    const range = (query.bool?.filter ?? []).find((c: Query) => c.range?.['@timestamp'])?.range['@timestamp'];
    if (!range) return this.docs;
    return this.sorted.slice(this.firstAtOrAfter(range.gte), this.firstAtOrAfter(range.lt));
  }

  search(request: Query): unknown {
    this.searches++;
    const composite = request.aggs?.page?.composite;
    if (!composite) throw new Error('the corpus stand-in only answers composite aggregations');
    const docs = this.candidates(request.query).filter((d) => matches(d, request.query));
    const sources: Array<[string, Query]> = composite.sources.map((s: Query) => {
      const [name, spec] = Object.entries(s)[0] as [string, Query];
      return [name, spec.terms];
    });
    const groups = new Map<string, { key: Record<string, KeyValue>; docs: Doc[] }>();
    for (const d of docs) {
      let keys: Array<Record<string, KeyValue>> = [{}];
      let dropped = false;
      for (const [name, terms] of sources) {
        const values = [...new Set(valuesOf(d, terms.field).map((v) => keyValue(terms.field, v)))];
        if (values.length === 0) {
          if (!terms.missing_bucket) dropped = true;
          values.push(null);
        }
        keys = keys.flatMap((k) => values.map((v) => ({ ...k, [name]: v })));
      }
      if (dropped) continue;
      for (const k of keys) {
        const id = JSON.stringify(k);
        const g = groups.get(id) ?? { key: k, docs: [] };
        g.docs.push(d);
        groups.set(id, g);
      }
    }
    const order = (a: Record<string, KeyValue>, b: Record<string, KeyValue>) => {
      for (const [name, terms] of sources) {
        const c = compareKey(terms.field, a[name], b[name]);
        if (c !== 0) return c;
      }
      return 0;
    };
    let sorted = [...groups.values()].sort((a, b) => order(a.key, b.key));
    if (composite.after) sorted = sorted.filter((g) => order(g.key, composite.after) > 0);
    const page = sorted.slice(0, composite.size).map((g) => ({ key: g.key, doc_count: g.docs.length, ...aggregate(g.docs, request.aggs.page.aggs) }));
    return { aggregations: { page: { buckets: page, ...(page.length > 0 ? { after_key: page[page.length - 1].key } : {}) } } };
  }

  mget(request: { ids: string[] }): unknown {
    return { docs: request.ids.map((id) => (this.baselines.has(id) ? { _id: id, found: true, _source: structuredClone(this.baselines.get(id)) } : { _id: id, found: false })) };
  }

  bulk(request: { operations: Query[] }): unknown {
    for (const { id, doc } of indexedDocs(request.operations)) this.baselines.set(id, doc as never);
    return { errors: false, items: [] };
  }

  get client(): Client {
    return {
      search: async (r: Query) => this.search(r),
      mget: async (r: { ids: string[] }) => this.mget(r),
      bulk: async (r: { operations: Query[] }) => this.bulk(r),
    } as unknown as Client;
  }

  /** Stored baselines of a model and kind, by key. */
  baselinesOf<S>(model: string, kind: string): Map<string, Baseline<S>> {
    const out = new Map<string, Baseline<S>>();
    for (const doc of this.baselines.values()) {
      const b = doc as unknown as Baseline<S> & { first_seen: string; last_seen: string };
      if (b.model === model && b.kind === kind) out.set(b.key, { ...b, first_seen: Date.parse(b.first_seen), last_seen: Date.parse(b.last_seen) });
    }
    return out;
  }
}

export interface ReplayOptions {
  local: string[];
  detector?: Record<string, unknown>;
  partition?: { index: number; count: number };
  feedback?: Feedback;
}

/** Runs a model over every window of the stand-in's events, in order, as the pass does; returns what it emitted. */
export async function replay(model: DetectionModel, es: CorpusEs, options: ReplayOptions): Promise<AnomalyDraft[]> {
  const config: VigilConfig = configSchema.parse({ networks: { local: options.local }, detector: options.detector ?? {} });
  const windowMs = config.detector.windowMinutes * 60_000;
  const zones = new ZoneMap([]);
  const isLocal = localNetworkMatcher(config.networks.local);
  const part = partition(options.partition?.index ?? 0, options.partition?.count ?? 1);
  const baselines = new BaselineStore(es.client);
  const drafts: AnomalyDraft[] = [];
  for (const start of es.windows(windowMs)) {
    const ctx: ModelContext = {
      client: es.client,
      window: { start, end: start + windowMs },
      config,
      baselines,
      partition: part,
      feedback: options.feedback ?? NO_FEEDBACK,
      maintenance: new MaintenanceCalendar([], zones),
      zones,
      isLocal,
      log: silentLogger,
      emit: (d) => drafts.push(d),
      count: () => undefined,
      halfLifeMs: config.detector.halfLifeDays * DAY_MS,
    };
    await model.run(ctx);
    await baselines.flush();
  }
  return drafts;
}

export const STRATOSPHERE = 'labeled/stratosphere-security-datasets';
