/**
 * Test support for the OT model: real corpus records, normalized by the real Zeek normalizer, answered by an
 * in-memory stand-in for the few Elasticsearch requests the detector makes (composite aggregations, `mget`,
 * `bulk`), and a loop that runs models window by window as a detection pass does. Fields the index template does
 * not map are not searchable here either, as with the real template's `dynamic: false`.
 */
import type { Client } from '@elastic/elasticsearch';
import { configSchema, type VigilConfig } from '../../../common/config/schema';
import { silentLogger } from '../../../common/log';
import { ZEEK_LOG_FIELDS } from '../../../common/es/templates/zeek-fields';
import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { normalizeZeek, type EcsDocument } from '../../../ingest/normalize/zeek';
import type { ZeekRecord, ZeekValue } from '../../../ingest/parse/zeek/record';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import { BaselineStore } from '../../baseline/store';
import { DAY_MS } from '../../baseline/decay';
import { NO_FEEDBACK, type Feedback } from '../../feedback/evaluations';
import { MaintenanceCalendar, ZoneMap } from '../../feedback/scope';
import { partition } from '../../partition';
import type { DetectionModel, DetectionWindow, ModelContext } from '../model';
import { indexedDocs } from '../../baseline/bulk.fixture';

export type { ZeekRecord };
/** Records of a corpus file (path relative to the corpus root), parsed as the ingest worker parses them. */
export { readZeekLog };

export const ICSNPP = 'zeek/icsnpp';

/** Nmap run by 172.16.1.11 against its own network and two others (the scenario's README). */
export const SCANS = 'labeled/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log';
export const SCANNER = '172.16.1.11';
/** The scanned networks as zones: the scanner in the control zone (level 2), a field zone below it, an office zone. */
export const SCAN_ZONES = [
  { name: 'control', subnets: ['172.16.1.0/24'], level: 2 },
  { name: 'field', subnets: ['192.168.1.0/24'], level: 1 },
  { name: 'office', subnets: ['10.0.2.0/24'], level: 4 },
];
export const ZED_MODBUS = 'zeek/zed-sample-data/zeek-default/modbus.log.gz';

export function testConfig(raw: Record<string, unknown> = {}): VigilConfig {
  return configSchema.parse(raw);
}

/** A record with some fields replaced (time, addresses): the replays rewrite nothing else. */
export function rewrite(record: ZeekRecord, fields: Record<string, ZeekValue>): ZeekRecord {
  return { ...record, fields: { ...record.fields, ...fields } };
}

export function normalize(records: readonly ZeekRecord[], config: VigilConfig): EcsDocument[] {
  const ctx = { isLocal: localNetworkMatcher(config.networks.local), fallbackTs: 0, ingested: new Date(0).toISOString() };
  return records.map((r) => normalizeZeek(r, ctx));
}

// ---------------------------------------------------------------------------------------------------------------
// The Elasticsearch stand-in

type Query = Record<string, unknown>;
type Doc = EcsDocument & { _t: number };

const COMMON_ORIGINALS = new Set(['_path', '_write_ts', '_node_name', '_extra']);
const cidrs = new Map<string, (ip: string) => boolean>();

function lookup(node: unknown, parts: string[]): unknown[] {
  if (parts.length === 0) return node === undefined || node === null ? [] : Array.isArray(node) ? node.flat(Infinity) : [node];
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  const o = node as Record<string, unknown>;
  // Zeek's flat dotted names (`id.orig_h`) sit beside real objects: the longest key that matches wins.
  for (let i = parts.length; i >= 1; i--) {
    const k = parts.slice(0, i).join('.');
    if (k in o) return lookup(o[k], parts.slice(i));
  }
  return [];
}

export function values(doc: Record<string, unknown>, field: string): unknown[] {
  const parts = field.split('.');
  if (parts[0] === 'zeek' && parts.length > 2) {
    const name = parts.slice(2).join('.');
    if (ZEEK_LOG_FIELDS[parts[1]]?.[name] === undefined && !COMMON_ORIGINALS.has(name)) return [];
    const path = (doc.zeek as Record<string, Record<string, unknown>> | undefined)?.[parts[1]];
    return path === undefined || path[name] === undefined ? [] : Array.isArray(path[name]) ? (path[name] as unknown[]) : [path[name]];
  }
  if (field === '@timestamp') return [Date.parse(doc['@timestamp'] as string)];
  return lookup(doc, parts);
}

function equal(a: unknown, b: unknown, caseInsensitive = false): boolean {
  if (typeof a === 'string' && typeof b === 'string') return caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b;
  return false;
}

function inCidr(value: unknown, cidr: string): boolean {
  if (typeof value !== 'string') return false;
  let m = cidrs.get(cidr);
  if (m === undefined) cidrs.set(cidr, (m = localNetworkMatcher([cidr])));
  try {
    return m(value);
  } catch {
    return false;
  }
}

export function matches(doc: Doc, query: Query): boolean {
  const entries = Object.entries(query);
  if (entries.length !== 1) throw new Error(`unsupported query ${JSON.stringify(query)}`);
  const [kind, body] = entries[0] as [string, Record<string, unknown>];
  switch (kind) {
    case 'match_all':
      return true;
    case 'bool': {
      const all = (k: string) => ((body[k] as Query[] | Query | undefined) === undefined ? [] : ([] as Query[]).concat(body[k] as Query[]));
      if (!all('filter').every((q) => matches(doc, q))) return false;
      if (!all('must').every((q) => matches(doc, q))) return false;
      if (all('must_not').some((q) => matches(doc, q))) return false;
      const should = all('should');
      if (should.length === 0) return true;
      const min = (body.minimum_should_match as number | undefined) ?? (all('filter').length + all('must').length > 0 ? 0 : 1);
      return should.filter((q) => matches(doc, q)).length >= min;
    }
    case 'term': {
      const [field, spec] = Object.entries(body)[0];
      const wanted = spec !== null && typeof spec === 'object' ? (spec as { value: unknown }).value : spec;
      const ci = spec !== null && typeof spec === 'object' && (spec as { case_insensitive?: boolean }).case_insensitive === true;
      return values(doc, field).some((v) => equal(v, wanted, ci));
    }
    case 'terms': {
      const [field, list] = Object.entries(body)[0] as [string, unknown[]];
      return values(doc, field).some((v) => list.some((w) => equal(v, w) || (typeof w === 'string' && w.includes('/') && inCidr(v, w))));
    }
    case 'range': {
      const [field, spec] = Object.entries(body)[0] as [string, Record<string, number>];
      return values(doc, field).some((v) => {
        const x = Number(v);
        return (spec.gte === undefined || x >= spec.gte) && (spec.gt === undefined || x > spec.gt) && (spec.lt === undefined || x < spec.lt) && (spec.lte === undefined || x <= spec.lte);
      });
    }
    case 'exists':
      return values(doc, (body as { field: string }).field).length > 0;
    default:
      throw new Error(`unsupported query ${kind}`);
  }
}

type Key = string | number | boolean | null;

function compareKeys(a: Key[], b: Key[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

interface SubAgg {
  min?: { field: string };
  max?: { field: string };
  filter?: Query;
  cardinality?: { field: string };
}

/** Elasticsearch requests answered in memory; what it stores (baselines) stays in `stored`. */
export class FakeEs {
  private docs: Doc[] = [];
  readonly stored = new Map<string, unknown>();
  readonly searches: Query[] = [];

  constructor(docs: readonly EcsDocument[] = []) {
    this.add(docs);
  }

  add(docs: readonly EcsDocument[]): void {
    for (const d of docs) this.docs.push({ ...d, _t: Date.parse(d['@timestamp']) });
    this.docs.sort((a, b) => a._t - b._t);
  }

  /** Times of the events, for walking windows. */
  times(): number[] {
    return this.docs.map((d) => d._t);
  }

  get client(): Client {
    return this as unknown as Client;
  }

  async search(request: { query: Query; aggs: { page: { composite: { size: number; sources: Array<Record<string, { terms?: { field: string; missing_bucket?: boolean } }>>; after?: Record<string, Key> }; aggs?: Record<string, SubAgg> } } }) {
    this.searches.push(request.query);
    const page = request.aggs?.page;
    if (!page?.composite) throw new Error('only composite aggregations are answered');
    const { size, sources, after } = page.composite;
    const names = sources.map((s) => Object.keys(s)[0]);
    const buckets = new Map<string, { key: Key[]; docs: Doc[] }>();
    for (const doc of this.candidates(request.query)) {
      if (!matches(doc, request.query)) continue;
      let combos: Key[][] = [[]];
      for (const s of sources) {
        const spec = Object.values(s)[0];
        if (!spec.terms) throw new Error(`unsupported composite source ${JSON.stringify(s)}`);
        const vs = values(doc, spec.terms.field) as Key[];
        const options: Key[] = vs.length ? [...new Set(vs)] : spec.terms.missing_bucket ? [null] : [];
        combos = combos.flatMap((c) => options.map((o) => [...c, o]));
      }
      for (const key of combos) {
        const id = JSON.stringify(key);
        const bucket = buckets.get(id) ?? { key, docs: [] };
        bucket.docs.push(doc);
        buckets.set(id, bucket);
      }
    }
    let sorted = [...buckets.values()].sort((a, b) => compareKeys(a.key, b.key));
    if (after) {
      const afterKey = names.map((n) => after[n] ?? null);
      sorted = sorted.filter((b) => compareKeys(b.key, afterKey) > 0);
    }
    const pageBuckets = sorted.slice(0, size).map((b) => {
      const out: Record<string, unknown> = { key: Object.fromEntries(names.map((n, i) => [n, b.key[i]])), doc_count: b.docs.length };
      for (const [name, agg] of Object.entries(page.aggs ?? {})) out[name] = subAggregate(b.docs, agg);
      return out;
    });
    const last = pageBuckets[pageBuckets.length - 1];
    return { aggregations: { page: { buckets: pageBuckets, ...(last ? { after_key: last.key } : {}) } } };
  }

  /** Documents of the query's top-level time range (the sorted array is cut by binary search). */
  private candidates(query: Query): Doc[] {
    const filters = ((query.bool as { filter?: Query[] } | undefined)?.filter ?? []) as Query[];
    const range = filters.find((f) => (f.range as Record<string, unknown> | undefined)?.['@timestamp']);
    if (!range) return this.docs;
    const spec = (range.range as Record<string, { gte: number; lt: number }>)['@timestamp'];
    const lo = lowerBound(this.docs, spec.gte);
    const hi = lowerBound(this.docs, spec.lt);
    return this.docs.slice(lo, hi);
  }

  async mget(request: { ids: string[] }) {
    return { docs: request.ids.map((id) => (this.stored.has(id) ? { _id: id, found: true, _source: structuredClone(this.stored.get(id)) } : { _id: id, found: false })) };
  }

  async bulk(request: { operations: unknown[] }) {
    for (const { id, doc } of indexedDocs(request.operations)) this.stored.set(id, doc);
    return { errors: false, items: [] };
  }

  /** Baselines stored, by kind, with dates as the store writes them. */
  baselines<S = unknown>(kind: string): Array<{ key: string; observations: number; first_seen: string; state: S }> {
    return [...this.stored.values()].filter((b) => (b as { model: string; kind: string }).model === 'ot' && (b as { kind: string }).kind === kind) as Array<{
      key: string;
      observations: number;
      first_seen: string;
      state: S;
    }>;
  }
}

function lowerBound(docs: Doc[], t: number): number {
  let lo = 0;
  let hi = docs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (docs[mid]._t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function subAggregate(docs: Doc[], agg: SubAgg): unknown {
  if (agg.min || agg.max) {
    const field = (agg.min ?? agg.max)!.field;
    const xs = docs.flatMap((d) => values(d, field).map(Number));
    if (xs.length === 0) return { value: null };
    return { value: agg.min ? Math.min(...xs) : Math.max(...xs) };
  }
  if (agg.filter) return { doc_count: docs.filter((d) => matches(d, agg.filter!)).length };
  if (agg.cardinality) return { value: new Set(docs.flatMap((d) => values(d, agg.cardinality!.field))).size };
  throw new Error(`unsupported sub-aggregation ${JSON.stringify(agg)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Windows

export interface Emitted extends AnomalyDraft {
  window: DetectionWindow;
}

export interface RunOptions {
  es: FakeEs;
  models: DetectionModel[];
  config: VigilConfig;
  /** Only windows starting at or after this time (ms): a later pass resumes where the earlier stopped. */
  from?: number;
  feedback?: Feedback;
}

/** Every window with events, in time order, as a pass walks them; returns what the models emitted. */
export async function runWindows(options: RunOptions): Promise<Emitted[]> {
  const { es, config } = options;
  const windowMs = config.detector.windowMinutes * 60_000;
  const starts = [...new Set(es.times().map((t) => Math.floor(t / windowMs) * windowMs))].filter((s) => options.from === undefined || s >= options.from).sort((a, b) => a - b);
  const baselines = new BaselineStore(es.client, 'baselines');
  const zones = new ZoneMap(config.zones);
  const maintenance = new MaintenanceCalendar(config.detector.maintenance, zones);
  const isLocal = localNetworkMatcher(config.networks.local);
  const out: Emitted[] = [];
  for (const start of starts) {
    const window = { start, end: start + windowMs };
    for (const model of options.models) {
      const ctx: ModelContext = {
        client: es.client,
        window,
        config,
        baselines,
        partition: partition(0, 1),
        feedback: options.feedback ?? NO_FEEDBACK,
        maintenance,
        zones,
        isLocal,
        log: silentLogger,
        emit: (draft) => {
          if (process.env.DEBUG_DETECT) console.log(draft.kind, draft.score, draft.explanation);
          out.push({ ...draft, window });
        },
        count: () => undefined,
        halfLifeMs: config.detector.halfLifeDays * DAY_MS,
      };
      await model.run(ctx);
      await baselines.flush();
    }
  }
  return out;
}

/** The last window start of the events: a later replay goes after it. */
export function lastEventTime(es: FakeEs): number {
  const t = es.times();
  return t[t.length - 1];
}

// ---------------------------------------------------------------------------------------------------------------
// Replays of real records

/** The zed capture's busiest Modbus master and the device it polls (unit 34). */
export const ZED_MASTER = '10.128.0.242';
export const ZED_DEVICE = '10.47.8.54';
export const ZED_UNIT = 34;
export const MODBUS_PORT = 502;

/**
 * The zed Modbus log (one 21-minute capture, real timestamps) replayed `copies` times, each copy shifted back by
 * whole days so that the last is the capture itself: the history a baseline needs. Only `ts` changes.
 */
export function zedHistory(copies: number): ZeekRecord[] {
  const records = readZeekLog(ZED_MODBUS);
  const out: ZeekRecord[] = [];
  for (let k = copies - 1; k >= 0; k--) for (const r of records) out.push(rewrite(r, { ts: (r.fields.ts as number) - k * 86_400 }));
  return out;
}

/** Address fields of ICS records with the port that tells which side they are. */
const ADDRESS_FIELDS: Array<[string, string]> = [
  ['id.orig_h', 'id.orig_p'],
  ['id.resp_h', 'id.resp_p'],
  ['source_h', 'source_p'],
  ['destination_h', 'destination_p'],
];

/**
 * A record moved to another master and device: each address becomes the device's when its port is the server's
 * (the icsnpp captures run on loopback, so the port is the only thing that tells the sides apart), else the
 * master's; `unit` becomes the device's unit; `ts` is set. Nothing else changes.
 */
export function moveRecord(r: ZeekRecord, to: { master: string; device: string; unit?: number; serverPort: number; ts: number }): ZeekRecord {
  const fields: Record<string, ZeekValue> = { ts: to.ts };
  for (const [addr, port] of ADDRESS_FIELDS) {
    if (r.fields[addr] === undefined) continue;
    fields[addr] = r.fields[port] === to.serverPort ? to.device : to.master;
  }
  if (to.unit !== undefined && r.fields.unit !== undefined) fields.unit = to.unit;
  return rewrite(r, fields);
}

export const ICSNPP_MODBUS = `${ICSNPP}/icsnpp-modbus/testing/baseline/analyzer.basic`;

/**
 * Real Modbus write records of the icsnpp baselines: the write single register and write multiple registers
 * transactions of `modbus_detailed`, and every record (requests and responses) of `modbus_mask_write_register`.
 */
export function modbusWriteRecords(): ZeekRecord[] {
  const detailed = readZeekLog(`${ICSNPP_MODBUS}/modbus_detailed.log`).filter((r) => r.fields.func === 'WRITE_SINGLE_REGISTER' || r.fields.func === 'WRITE_MULTIPLE_REGISTERS');
  const mask = readZeekLog(`${ICSNPP_MODBUS}/modbus_mask_write_register.log`);
  return [...detailed, ...mask];
}

/**
 * Times for logs whose timestamps are masked (the icsnpp baselines), given each log's connection uids in order:
 * connections in the order the first log lists them, each given `step` seconds per record it has in that log, and
 * the records of every log spread evenly over their connection's share. Logs of one capture stay aligned, and a
 * log's order is kept.
 */
export function connectionTimes(logs: string[][], base: number, step: number): number[][] {
  const counts = new Map<string, number>();
  for (const uid of logs[0]) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  const start = new Map<string, number>();
  let t = base;
  for (const [uid, n] of counts) {
    start.set(uid, t);
    t += n * step;
  }
  return logs.map((uids) => {
    const total = new Map<string, number>();
    for (const uid of uids) total.set(uid, (total.get(uid) ?? 0) + 1);
    const seen = new Map<string, number>();
    return uids.map((uid) => {
      const k = seen.get(uid) ?? 0;
      seen.set(uid, k + 1);
      const span = (counts.get(uid) ?? 1) * step;
      return (start.get(uid) ?? t) + (k / (total.get(uid) ?? 1)) * span;
    });
  });
}

export function spreadByConnection(logs: ZeekRecord[][], base: number, step: number): ZeekRecord[][] {
  const times = connectionTimes(
    logs.map((records) => records.map((r) => String(r.fields.uid))),
    base,
    step,
  );
  return logs.map((records, i) => records.map((r, j) => rewrite(r, { ts: times[i][j] })));
}
