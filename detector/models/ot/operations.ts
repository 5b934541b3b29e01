import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, decayFactor } from '../../baseline/decay';
import { ZEEK_EVENTS_PATTERN } from '../../../common/es/names';
import { ZEEK_LOG_FIELDS } from '../../../common/es/templates/zeek-fields';
import { classifyOperation, OT_OPERATION_FIELDS, type OperationClass } from '../../features/ot';
import { compositePages, firstTime, windowQuery } from '../../query/composite';
import { str } from '../conn-query';
import { hasEvents, type ModelContext } from '../model';
import { listing, round } from '../format';
import { formatCount, formatSpan, icsTechnique, MODEL_ID, notFromOrToEveryone, protocolName } from './flows';

/**
 * Operations of industrial protocols between masters and devices.
 *
 * Each window, one composite sweep per operation log path (`OT_OPERATION_FIELDS`) lists the requests masters sent:
 * keyed by master (`source.ip`: the ingest worker sets it to the sender of each message), device
 * (`destination.ip`), unit, operation and, where the path has one, its detail (sub-function, device state). Replies
 * are left out by the path's request field, or by the operation value itself (`-ack`, exception codes).
 *
 * Baselines: per (master, device, protocol, unit) the decayed counts of each operation class and operation name, and
 * the total number of requests; per (device, protocol) the masters it answers, each with its decayed class counts.
 * A unit is the Modbus unit identifier, which addresses a device behind a gateway; the unit fields of other
 * protocols (DNP3 point index, BACnet object type, S7 block file name) name objects inside one device and are
 * reported, not keyed on, so that a master reading one point and operating another is one history.
 *
 * Anomalies, judged before the window is learned:
 * - `ot_first_write` / `ot_first_control` / `ot_first_program`: the first operation of that class from a master to a
 *   device (and unit) it has a history with, none of it of that class. Scored higher for program and control than
 *   for write, and higher the longer and busier the history.
 * - `ot_critical_operation`: a program transfer, firmware change, mode change, stop, restart or reporting shutdown
 *   (S7 upload or download, PLC stop, CIP stop, BACnet reinitialize or communication control, DNP3 file transfer...)
 *   never seen for the pair, history or not: such operations are rare enough that the first one is worth a look.
 * - `ot_new_master`: a master reading or commanding a device whose history shows other masters only.
 * Each is learned once judged, so it is reported once, unless triage marked the pair malicious or suspicious or a
 * maintenance window keeps it out of the baseline.
 */

export interface OperationState {
  /** Decayed count of requests per class. */
  classes: Partial<Record<OperationClass, number>>;
  /** Decayed count of requests per operation name. */
  ops: Record<string, number>;
  /** Requests seen since first seen, not decayed: the history's size, for explanations. */
  requests: number;
  /** Time the decayed counts refer to (ms). */
  t: number;
}

export interface MasterEntry {
  ip: string;
  first: number;
  last: number;
  windows: number;
  requests: number;
  classes: Partial<Record<OperationClass, number>>;
}

export interface DeviceMastersState {
  masters: MasterEntry[];
  t: number;
}

/** One operation of a pair in a window, deduplicated over the paths that logged it. */
export interface WindowOperation {
  name: string;
  class: OperationClass;
  technique?: string;
  /** The values as logged (`unknown-100`, `6`): kept to name codes the vocabularies lack. */
  raw: string[];
  /** Requests per log path: several logs of one analyzer record the same request, so the largest count is it. */
  byPath: Map<string, number>;
  first: number;
}

export interface PairWindow {
  master: string;
  device: string;
  protocol: string;
  /** Modbus unit identifier, or '' for protocols whose unit field names an object rather than a device. */
  unit: string;
  ops: Map<string, WindowOperation>;
  /** Objects the requests addressed (DNP3 points, BACnet object types, S7 files), a few for the explanation. */
  objects: string[];
  first: number;
}

/** Windows of history a pair (or device) needs before it is judged on what it never did. */
export const MIN_WINDOWS = 4;
/** A decayed count below this is forgotten: one request decays below it after about four half-lives. */
export const FORGOTTEN = 0.05;
const MAX_OPS = 64;
const MAX_MASTERS = 64;
const MAX_OBJECTS = 20;
const MAX_PAIRS_PER_WINDOW = 100_000;
const DEVICES_PER_BATCH = 200;

/** Protocols whose unit field addresses a device of its own (Modbus serial slaves behind a TCP gateway). */
const UNIT_PROTOCOLS = new Set(['modbus']);
/** Classes that make a sender a master of the device; discovery and announcements (BACnet i-am) do not. */
const MASTER_CLASSES = new Set<OperationClass>(['read', 'write', 'control', 'program']);
/** Classes whose first use is judged, most serious first. */
const CHANGE_CLASSES: readonly OperationClass[] = ['program', 'control', 'write'];
/** Techniques of operations that change what a controller runs or whether it runs at all. */
const CRITICAL_TECHNIQUES = new Set(['T0809', 'T0814', 'T0815', 'T0804', 'T0816', 'T0843', 'T0845', 'T0857', 'T0858', 'T0878', 'T0881']);

export function isCritical(op: { class: OperationClass; technique?: string }): boolean {
  return op.class === 'program' || (op.technique !== undefined && CRITICAL_TECHNIQUES.has(op.technique));
}

// ---------------------------------------------------------------------------------------------------------------
// Naming

/** Modbus function codes by the names the vocabulary gives them, so that explanations can quote the number. */
const MODBUS_CODES = (() => {
  const codes = new Map<string, number>();
  for (let code = 0; code < 0x80; code++) {
    const c = classifyOperation('modbus', code);
    if (!/^\d+$/.test(c.name) && !codes.has(c.name)) codes.set(c.name, code);
  }
  return codes;
})();

function modbusCode(name: string, raw: readonly string[]): number | undefined {
  const known = MODBUS_CODES.get(name);
  if (known !== undefined) return known;
  for (const r of [name, ...raw]) {
    const m = /^(?:unknown-)?(0x[0-9a-f]+|\d+)$/i.exec(r.trim());
    if (m) return m[1].toLowerCase().startsWith('0x') ? Number.parseInt(m[1].slice(2), 16) : Number.parseInt(m[1], 10);
  }
  return undefined;
}

/** `function 6 (write single register)` for Modbus, the operation's own name for the others. */
export function describeOperation(protocol: string, op: { name: string; raw?: readonly string[] }): string {
  if (protocol !== 'modbus') return op.name;
  const code = modbusCode(op.name, op.raw ?? []);
  if (code === undefined) return op.name;
  const named = MODBUS_CODES.get(op.name) === code;
  return named ? `function ${code} (${op.name.toLowerCase().replace(/_/g, ' ')})` : `function ${code}`;
}

const LISTED = 8;

/** `PLC Control (PLC Stop)` and `PLC Control (Compress PLC memory)` read as `PLC Control (PLC Stop, Compress PLC memory)`. */
function grouped(ops: readonly { name: string; raw?: readonly string[] }[]): Array<{ name: string; raw?: readonly string[] }> {
  const groups = new Map<string, { details: string[]; raw?: readonly string[] }>();
  for (const op of ops) {
    const m = /^(.*) \((.*)\)$/.exec(op.name);
    const base = m ? m[1] : op.name;
    const g = groups.get(base) ?? { details: [], raw: op.raw };
    if (m && !g.details.includes(m[2])) g.details.push(m[2]);
    groups.set(base, g);
  }
  return [...groups].map(([base, g]) => ({ name: g.details.length ? `${base} (${g.details.join(', ')})` : base, raw: g.raw }));
}

function describeOperations(protocol: string, all: readonly { name: string; raw?: readonly string[] }[]): string {
  const ops = grouped(all);
  const parts = ops.slice(0, LISTED).map((op) => describeOperation(protocol, op));
  const more = ops.length > LISTED ? [`${ops.length - LISTED} more`] : [];
  const text = listing([...parts, ...more]);
  // "function 6 (...) and function 16 (...)" reads better as "functions 6 (...) and 16 (...)".
  if (protocol === 'modbus' && ops.length > 1 && parts.every((p) => p.startsWith('function '))) {
    return `functions ${listing([...parts.map((p) => p.slice('function '.length)), ...more])}`;
  }
  return text;
}

const CLASS_WORDS: Record<OperationClass, string> = {
  read: 'read',
  write: 'write',
  control: 'control',
  program: 'program',
  diagnostic: 'diagnostic',
  other: 'other',
};

// ---------------------------------------------------------------------------------------------------------------
// Scores

/** How much a history says, 0 to 1: four weeks of it, and 100k requests, say all it can. */
export function historyConfidence(days: number, requests: number): number {
  const depth = Math.min(1, Math.max(0, days) / 28);
  const volume = Math.min(1, Math.log10(1 + Math.max(0, requests)) / 5);
  return round(0.6 * depth + 0.4 * volume, 4);
}

const FIRST_USE_BASE: Partial<Record<OperationClass, number>> = { write: 66, control: 72, program: 76 };

/** First operation of a class on a pair with history: 66-88 for a write, 72-94 for control, 76-98 for program. */
export function firstUseScore(cls: OperationClass, confidence: number): number {
  return round((FIRST_USE_BASE[cls] ?? 66) + 22 * confidence, 1);
}

/** A critical operation new to the pair: 70 without history, up to 90 (94 for program transfers) with a long one. */
export function criticalScore(cls: OperationClass, confidence: number): number {
  return round((cls === 'program' ? 74 : 70) + 20 * confidence, 1);
}

const NEW_MASTER_BUMP: Partial<Record<OperationClass, number>> = { write: 8, control: 12, program: 16 };

/** A new master: 58 for a reader on a device with little history, up to 94 for one that programs a long-known device. */
export function newMasterScore(confidence: number, top: OperationClass): number {
  return round(Math.min(100, 58 + 20 * confidence + (NEW_MASTER_BUMP[top] ?? 0)), 1);
}

const CLASS_RANK: Record<OperationClass, number> = { program: 5, control: 4, write: 3, read: 2, diagnostic: 1, other: 0 };

function topClass(ops: Iterable<{ class: OperationClass }>): OperationClass {
  let top: OperationClass = 'other';
  for (const op of ops) if (CLASS_RANK[op.class] > CLASS_RANK[top]) top = op.class;
  return top;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a window

/** Datasets of the operation paths. */
const OPERATION_DATASETS = Object.keys(OT_OPERATION_FIELDS).map((path) => `zeek.${path}`);

function mapped(path: string, field: string): boolean {
  return ZEEK_LOG_FIELDS[path]?.[field] !== undefined;
}

/**
 * The filter that keeps a path's requests: its request field holds one of the request values, or the record has no
 * such field (a request/reply pair logged once per transaction by older analyzer versions). A request field the
 * index template does not map cannot be searched; `is_orig` stands in where it is mapped.
 */
export function requestFilter(path: string): Record<string, unknown> | undefined {
  const spec = OT_OPERATION_FIELDS[path];
  const when = spec?.requestWhen;
  if (when === undefined) return undefined;
  const usable = mapped(path, when.field) ? when : mapped(path, 'is_orig') ? { field: 'is_orig', values: [true] } : undefined;
  if (usable === undefined) return undefined;
  const field = `zeek.${path}.${usable.field}`;
  return {
    bool: {
      should: [
        ...usable.values.map((v) => (typeof v === 'boolean' ? { term: { [field]: v } } : { term: { [field]: { value: v, case_insensitive: true } } })),
        { bool: { must_not: [{ exists: { field } }] } },
      ],
      minimum_should_match: 1,
    },
  };
}

/** The classification of a request: its detail refines its operation when the detail names a class. */
export function classifyRequest(path: string, op: string | number, detail?: string | number): { name: string; class: OperationClass; technique?: string } | undefined {
  const base = classifyOperation(path, op);
  if (base.reply) return undefined;
  const spec = OT_OPERATION_FIELDS[path];
  if (detail !== undefined && spec?.detailField !== undefined) {
    const d = classifyOperation(path, detail, spec.detailField);
    if (!d.reply && d.class !== 'other') {
      // The detail decides alone: `PLC Control` is mostly a CPU start, but with `Compress PLC memory` it is not.
      return { name: `${base.name} (${d.name})`, class: d.class, ...(d.technique !== undefined ? { technique: d.technique } : {}) };
    }
  }
  return { name: base.name, class: base.class, ...(base.technique !== undefined ? { technique: base.technique } : {}) };
}

async function presentPaths(ctx: ModelContext): Promise<string[]> {
  const out: string[] = [];
  for await (const page of compositePages(ctx.client, {
    index: ZEEK_EVENTS_PATTERN,
    query: windowQuery(ctx.window.start, ctx.window.end, { terms: { 'event.dataset': OPERATION_DATASETS } }),
    sources: [{ dataset: { terms: { field: 'event.dataset' } } }],
    size: 100,
  })) {
    for (const b of page) out.push(String(b.key.dataset).slice('zeek.'.length));
  }
  return out.filter((path) => OT_OPERATION_FIELDS[path] !== undefined);
}

/** The window's requests, per pair; bounded by the number of distinct (master, device, unit, operation) tuples. */
export async function collectOperations(ctx: ModelContext): Promise<Map<string, PairWindow>> {
  const pairs = new Map<string, PairWindow>();
  let dropped = 0;
  for (const path of await presentPaths(ctx)) {
    const spec = OT_OPERATION_FIELDS[path];
    const unitProtocol = UNIT_PROTOCOLS.has(spec.protocol);
    const request = requestFilter(path);
    const sources: Array<Record<string, unknown>> = [
      { device: { terms: { field: 'destination.ip' } } },
      { master: { terms: { field: 'source.ip' } } },
      { op: { terms: { field: `zeek.${path}.${spec.field}` } } },
    ];
    if (spec.unitField && mapped(path, spec.unitField)) sources.push({ unit: { terms: { field: `zeek.${path}.${spec.unitField}`, missing_bucket: true } } });
    if (spec.detailField && mapped(path, spec.detailField)) sources.push({ detail: { terms: { field: `zeek.${path}.${spec.detailField}`, missing_bucket: true } } });
    for await (const page of compositePages(ctx.client, {
      index: ZEEK_EVENTS_PATTERN,
      query: windowQuery(ctx.window.start, ctx.window.end, { term: { 'event.dataset': `zeek.${path}` } }, notFromOrToEveryone(), ...(request ? [request] : [])),
      sources,
      aggs: { first: { min: { field: '@timestamp' } } },
      size: ctx.config.detector.pageSize,
    })) {
      for (const b of page) {
        const device = str(b.key.device)!;
        if (!ctx.partition.owns(device)) continue;
        const master = str(b.key.master)!;
        const raw = str(b.key.op)!;
        const op = classifyRequest(path, raw, str(b.key.detail));
        if (op === undefined) continue;
        const unitValue = str(b.key.unit);
        const unit = unitProtocol && unitValue !== undefined ? unitValue : '';
        const key = `${device}|${spec.protocol}|${master}|${unit}`;
        let pair = pairs.get(key);
        if (pair === undefined) {
          if (pairs.size >= MAX_PAIRS_PER_WINDOW) {
            dropped++;
            continue;
          }
          pair = { master, device, protocol: spec.protocol, unit, ops: new Map(), objects: [], first: Number.POSITIVE_INFINITY };
          pairs.set(key, pair);
        }
        const first = firstTime(b, ctx.window.start);
        pair.first = Math.min(pair.first, first);
        if (!unitProtocol && unitValue !== undefined && pair.objects.length < MAX_OBJECTS && !pair.objects.includes(unitValue)) pair.objects.push(unitValue);
        let entry = pair.ops.get(op.name);
        if (entry === undefined) {
          entry = { name: op.name, class: op.class, ...(op.technique ? { technique: op.technique } : {}), raw: [], byPath: new Map(), first };
          pair.ops.set(op.name, entry);
        }
        entry.first = Math.min(entry.first, first);
        if (entry.raw.length < 5 && !entry.raw.includes(raw)) entry.raw.push(raw);
        entry.byPath.set(path, (entry.byPath.get(path) ?? 0) + b.doc_count);
      }
    }
  }
  if (dropped > 0) ctx.log.warn({ dropped, window: new Date(ctx.window.start).toISOString() }, 'too many industrial master/device pairs in one window; the rest were not judged');
  return pairs;
}

export function countOf(op: WindowOperation): number {
  let n = 0;
  for (const c of op.byPath.values()) n = Math.max(n, c);
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Judging

interface History {
  /** From the pair itself, or from the master's requests to other units of the device. */
  source: 'pair' | 'master';
  first: number;
  windows: number;
  requests: number;
  classes: Partial<Record<OperationClass, number>>;
  ops: Record<string, number>;
}

function decayed<K extends string>(counts: Partial<Record<K, number>>, keep: number): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const [k, v] of Object.entries(counts) as Array<[K, number]>) out[k] = v * keep;
  return out;
}

export async function runOperations(ctx: ModelContext): Promise<void> {
  if (!hasEvents(ctx, ...OPERATION_DATASETS)) return;
  const pairs = await collectOperations(ctx);
  if (pairs.size === 0) return;
  // Pairs grouped by device and protocol (the map's keys start with them), devices judged in batches.
  const groups = new Map<string, PairWindow[]>();
  for (const key of [...pairs.keys()].sort()) {
    const p = pairs.get(key)!;
    const g = `${p.device}|${p.protocol}`;
    const list = groups.get(g);
    if (list) list.push(p);
    else groups.set(g, [p]);
  }
  const keys = [...groups.keys()];
  for (let i = 0; i < keys.length; i += DEVICES_PER_BATCH) {
    const batch = keys.slice(i, i + DEVICES_PER_BATCH);
    const devices = await ctx.baselines.getMany<DeviceMastersState>(MODEL_ID, 'device', batch);
    const pairKeys = batch.flatMap((g) => groups.get(g)!.map(pairKeyOf));
    const known = await ctx.baselines.getMany<OperationState>(MODEL_ID, 'pair', pairKeys);
    for (const g of batch) judgeDevice(ctx, groups.get(g)!, devices.get(g), known);
    if (ctx.baselines.pending > 5000) await ctx.baselines.spill();
  }
}

function pairKeyOf(p: PairWindow): string {
  return `${p.master}|${p.device}|${p.protocol}|${p.unit}`;
}

function judgeDevice(ctx: ModelContext, pairs: PairWindow[], db: Baseline<DeviceMastersState> | undefined, known: Map<string, Baseline<OperationState>>): void {
  const { window } = ctx;
  if (alreadyLearned(db, window.start)) return;
  const { device, protocol } = pairs[0];
  const dKeep = db ? decayFactor(window.start - db.state.t, ctx.halfLifeMs) : 1;
  const masters: MasterEntry[] = (db?.state.masters ?? []).map((m) => ({ ...m, classes: decayed(m.classes, dKeep) }));
  // The masters as they were before this window, for judging: learning one master must not change another's verdict.
  const before = masters.map((m) => ({ ...m, classes: { ...m.classes } }));
  const deviceHistory = db !== undefined && db.observations >= MIN_WINDOWS && before.length > 0;
  const byMaster = new Map<string, PairWindow[]>();
  for (const p of pairs) byMaster.set(p.master, [...(byMaster.get(p.master) ?? []), p]);
  let learnedAny = false;

  for (const [master, mine] of byMaster) {
    // As it was before this window: learning one unit must not hide a first write to another in the same window.
    const entry = before.find((m) => m.ip === master);
    const commands = mine.some((p) => [...p.ops.values()].some((o) => MASTER_CLASSES.has(o.class)));
    const newMaster = deviceHistory && entry === undefined && before.length < MAX_MASTERS && commands;
    if (newMaster) emitNewMaster(ctx, mine, db!, before);

    for (const p of mine) {
      const key = pairKeyOf(p);
      const pb = known.get(key);
      if (alreadyLearned(pb, window.start)) continue;
      const keep = pb ? decayFactor(window.start - pb.state.t, ctx.halfLifeMs) : 1;
      const pairOps = (pb ? decayed(pb.state.ops, keep) : {}) as Record<string, number>;
      let history: History | undefined;
      if (pb && pb.observations >= MIN_WINDOWS) {
        history = { source: 'pair', first: pb.first_seen, windows: pb.observations, requests: pb.state.requests, classes: decayed(pb.state.classes, keep), ops: pairOps };
      } else if (entry && entry.windows >= MIN_WINDOWS) {
        history = { source: 'master', first: entry.first, windows: entry.windows, requests: entry.requests, classes: entry.classes, ops: {} };
      }
      const ops = [...p.ops.values()];
      const reported = new Set<string>();
      if (history) {
        const fresh = CHANGE_CLASSES.filter((c) => ops.some((o) => o.class === c) && (history!.classes[c] ?? 0) < FORGOTTEN);
        if (fresh.length > 0) {
          const firstOps = ops.filter((o) => fresh.includes(o.class));
          for (const o of firstOps) reported.add(o.name);
          emitFirstUse(ctx, p, fresh[0], firstOps, history);
        }
      }
      if (!newMaster) {
        const critical = ops.filter((o) => !reported.has(o.name) && isCritical(o) && (pairOps[o.name] ?? 0) < FORGOTTEN);
        if (critical.length > 0) emitCritical(ctx, p, critical, history, pb);
      }

      // Learning: a maintenance window that does not learn, or a pair triage found malicious or suspicious,
      // leaves the baseline as it was, so the same operation is reported again.
      if (!ctx.maintenance.mayLearn(MODEL_ID, [master, device], window.start)) continue;
      if (ctx.feedback.isTainted(MODEL_ID, master, device)) continue;
      learnedAny = true;
      const state: OperationState = {
        classes: pb ? decayed(pb.state.classes, keep) : {},
        ops: { ...pairOps },
        requests: pb?.state.requests ?? 0,
        t: window.start,
      };
      let total = 0;
      for (const o of ops) {
        const n = countOf(o);
        total += n;
        state.classes[o.class] = (state.classes[o.class] ?? 0) + n;
        state.ops[o.name] = (state.ops[o.name] ?? 0) + n;
      }
      state.requests += total;
      capOps(state.ops);
      const lastSeen = Math.max(pb?.last_seen ?? 0, ...ops.map((o) => o.first));
      ctx.baselines.put(learnedBaseline(ctx, { model: MODEL_ID, kind: 'pair', entity: { type: 'host', id: master }, key }, pb, p.first, state, { lastSeen }));
      ctx.count(0, 1);
      let m = masters.find((x) => x.ip === master);
      if (m === undefined && masters.length < MAX_MASTERS) {
        m = { ip: master, first: p.first, last: p.first, windows: 0, requests: 0, classes: {} };
        masters.push(m);
      }
      if (m !== undefined) {
        m.last = Math.max(m.last, p.first);
        m.requests += total;
        for (const o of ops) m.classes[o.class] = (m.classes[o.class] ?? 0) + countOf(o);
      }
    }
  }
  if (!learnedAny) return;
  // A master's window count grows once per window however many units it addressed.
  for (const master of byMaster.keys()) {
    const m = masters.find((x) => x.ip === master);
    if (m) m.windows += 1;
  }
  const first = pairs.reduce((t, p) => Math.min(t, p.first), Infinity);
  const ref = { model: MODEL_ID, kind: 'device', entity: { type: 'host', id: device }, key: `${device}|${protocol}` };
  ctx.baselines.put(learnedBaseline<DeviceMastersState>(ctx, ref, db, first, { masters, t: window.start }));
}

function capOps(ops: Record<string, number>): void {
  const names = Object.keys(ops);
  if (names.length <= MAX_OPS) return;
  names.sort((a, b) => ops[a] - ops[b]);
  for (const name of names.slice(0, names.length - MAX_OPS)) delete ops[name];
}

// ---------------------------------------------------------------------------------------------------------------
// Anomalies

function unitText(p: PairWindow): string {
  return p.unit === '' ? '' : ` unit ${p.unit}`;
}

function eventsOf(ctx: ModelContext, p: PairWindow, ops: readonly WindowOperation[]): { index: string; query: Record<string, unknown>; count: number } {
  const datasets = [...new Set(ops.flatMap((o) => [...o.byPath.keys()]))].map((path) => `zeek.${path}`);
  return {
    index: ZEEK_EVENTS_PATTERN,
    query: windowQuery(ctx.window.start, ctx.window.end, { terms: { 'event.dataset': datasets } }, { term: { 'source.ip': p.master } }, { term: { 'destination.ip': p.device } }),
    count: requestsOf(ops),
  };
}

/** Requests behind operations. */
function requestsOf(ops: readonly WindowOperation[]): number {
  return ops.reduce((n, o) => n + countOf(o), 0);
}

/** Most serious class first, then the earliest. */
function byClassThenTime(a: WindowOperation, b: WindowOperation): number {
  return CLASS_RANK[b.class] - CLASS_RANK[a.class] || a.first - b.first;
}

function techniquesOf(ops: readonly { technique?: string }[], extra: string[] = []): ReturnType<typeof icsTechnique>[] {
  const ids = [...new Set([...extra, ...ops.map((o) => o.technique).filter((t): t is string => t !== undefined)])];
  return ids.map(icsTechnique);
}

function opDetails(p: PairWindow, ops: readonly WindowOperation[]): Array<Record<string, unknown>> {
  return ops.slice(0, 20).map((o) => ({
    name: o.name,
    description: describeOperation(p.protocol, o),
    class: o.class,
    technique: o.technique,
    count: countOf(o),
    first: new Date(o.first).toISOString(),
    logs: [...o.byPath.keys()],
  }));
}

function historyPhrase(h: History, p: PairWindow): string {
  const span = formatSpan(Math.max(0, p.first - h.first));
  const size = `over ${span}, ${formatCount(h.requests)} requests`;
  const known = (Object.entries(h.classes) as Array<[OperationClass, number]>).filter(([, v]) => v >= FORGOTTEN).sort((a, b) => CLASS_RANK[b[0]] - CLASS_RANK[a[0]]);
  const where = h.source === 'master' ? `${p.device} (other units)` : 'it';
  // Connection set-up and envelopes (`other`: CIP Multiple Service Packet, EtherNet/IP Register Session) change nothing.
  const reads = known.some(([c]) => c === 'read');
  if (reads && known.every(([c]) => c === 'read' || c === 'other')) return `it has only read from ${where} ${size}`;
  const topOps = Object.entries(h.ops)
    .filter(([, v]) => v >= FORGOTTEN)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name]) => describeOperation(p.protocol, { name }));
  const words = listing(known.map(([c]) => CLASS_WORDS[c]));
  return `before, it had only sent ${words || 'no'} requests to ${where}${topOps.length ? ` (${topOps.join(', ')})` : ''} ${size}`;
}

function firstUseVerb(cls: OperationClass, protocol: string): string {
  return cls === 'write' ? `wrote ${protocolName(protocol)}` : `sent ${protocolName(protocol)} ${cls} requests`;
}

function emitFirstUse(ctx: ModelContext, p: PairWindow, cls: OperationClass, ops: WindowOperation[], h: History): void {
  ops.sort(byClassThenTime);
  const days = (p.first - h.first) / DAY_MS;
  const confidence = historyConfidence(days, h.requests);
  const what = `${firstUseVerb(cls, p.protocol)} ${describeOperations(p.protocol, ops)}`;
  emitPairOperations(ctx, p, ops, {
    kind: `ot_first_${cls}`,
    score: firstUseScore(cls, confidence),
    explanation: `${p.master} ${what} to ${p.device}${unitText(p)} for the first time; ${historyPhrase(h, p)}.`,
    historyWindows: h.windows,
    days,
    firstSeen: h.first,
    unit: `${cls} requests`,
    history: h,
    confidence,
    techniques: techniquesOf(ops),
  });
}

function emitCritical(ctx: ModelContext, p: PairWindow, ops: WindowOperation[], h: History | undefined, pb: Baseline<OperationState> | undefined): void {
  ops.sort(byClassThenTime);
  const cls = topClass(ops);
  const days = h ? (p.first - h.first) / DAY_MS : 0;
  const confidence = h ? historyConfidence(days, h.requests) : 0;
  const techniques = techniquesOf(ops);
  const purpose = techniques.length ? `requests for ${listing(techniques.map((t) => t.name.toLowerCase()))}` : `${cls} requests`;
  const since = h
    ? `not seen between them over ${formatSpan(Math.max(0, p.first - h.first))} and ${formatCount(h.requests)} earlier requests`
    : pb
      ? `not seen between them before (${formatCount(pb.state.requests)} earlier requests)`
      : 'the first traffic seen between them';
  emitPairOperations(ctx, p, ops, {
    kind: 'ot_critical_operation',
    score: criticalScore(cls, confidence),
    explanation: `${p.master} sent ${protocolName(p.protocol)} ${purpose} to ${p.device}${unitText(p)}: ${describeOperations(p.protocol, ops)}; ${since}.`,
    historyWindows: h?.windows ?? pb?.observations ?? 0,
    days,
    firstSeen: h?.first ?? pb?.first_seen,
    unit: 'critical requests',
    history: h,
    confidence,
    techniques,
  });
}

/** An anomaly about operations one master sent to one device (and unit) in the window: a first use, a critical one. */
function emitPairOperations(
  ctx: ModelContext,
  p: PairWindow,
  ops: readonly WindowOperation[],
  a: {
    kind: string;
    score: number;
    explanation: string;
    historyWindows: number;
    days: number;
    firstSeen: number | undefined;
    unit: string;
    history: History | undefined;
    confidence: number;
    techniques: ReturnType<typeof icsTechnique>[];
  },
): void {
  const count = requestsOf(ops);
  ctx.emit({
    model: MODEL_ID,
    kind: a.kind,
    domain: 'ot',
    entity: { type: 'host', id: p.master },
    peer: { type: 'host', id: p.device },
    key: `${p.protocol}|${p.device}|${p.unit}`,
    score: a.score,
    time: Math.min(...ops.map((o) => o.first)),
    explanation: a.explanation,
    figures: {
      observed: count,
      expected: 0,
      history_windows: a.historyWindows,
      history_days: round(a.days),
      first_seen: a.firstSeen,
      count,
      unit: a.unit,
      details: {
        protocol: p.protocol,
        unit: p.unit || undefined,
        objects: p.objects.length ? p.objects : undefined,
        operations: opDetails(p, ops),
        history: a.history ? { source: a.history.source, requests: a.history.requests, classes: roundCounts(a.history.classes) } : undefined,
        confidence: a.confidence,
      },
    },
    events: eventsOf(ctx, p, ops),
    techniques: a.techniques,
    related: { ip: [p.master, p.device] },
    source: { ip: p.master },
    destination: { ip: p.device },
    network: { protocol: p.protocol },
  });
}

function emitNewMaster(ctx: ModelContext, mine: PairWindow[], db: Baseline<DeviceMastersState>, masters: MasterEntry[]): void {
  const p = mine[0];
  const ops = mine.flatMap((x) => [...x.ops.values()]);
  ops.sort((a, b) => CLASS_RANK[b.class] - CLASS_RANK[a.class] || countOf(b) - countOf(a));
  const top = topClass(ops);
  const days = (p.first - db.first_seen) / DAY_MS;
  const deviceRequests = masters.reduce((n, m) => n + m.requests, 0);
  const confidence = historyConfidence(days, deviceRequests);
  const score = newMasterScore(confidence, top);
  const count = requestsOf(ops);
  const units = [...new Set(mine.map((x) => x.unit).filter((u) => u !== ''))];
  const shown = masters
    .slice()
    .sort((a, b) => b.requests - a.requests)
    .slice(0, 3)
    .map((m) => m.ip);
  const others = masters.length > 3 ? ` and ${masters.length - 3} more` : '';
  const changes = ops.filter((o) => CLASS_RANK[o.class] >= CLASS_RANK.write).sort((a, b) => a.first - b.first);
  const did = changes.length
    ? `${count} requests including ${describeOperations(p.protocol, changes)}`
    : `${count} ${listing([...new Set(ops.map((o) => CLASS_WORDS[o.class]))])} requests (${describeOperations(p.protocol, ops.slice(0, 3))})`;
  ctx.emit({
    model: MODEL_ID,
    kind: 'ot_new_master',
    domain: 'ot',
    entity: { type: 'host', id: p.master },
    peer: { type: 'host', id: p.device },
    key: `${p.protocol}|${p.device}`,
    score,
    time: Math.min(...mine.map((x) => x.first)),
    explanation:
      `${p.device} has a new ${protocolName(p.protocol)} master: ${p.master} sent it ${did}${units.length ? ` (unit ${units.join(', ')})` : ''}; ` +
      `over ${formatSpan(Math.max(0, p.first - db.first_seen))} and ${formatCount(deviceRequests)} requests the device had ${masters.length === 1 ? 'one master' : `${masters.length} masters`}, ${shown.join(', ')}${others}.`,
    figures: {
      observed: 1,
      expected: 0,
      history_windows: db.observations,
      history_days: round(days),
      first_seen: db.first_seen,
      peers: masters.length,
      count,
      unit: 'new masters',
      details: {
        protocol: p.protocol,
        units: units.length ? units : undefined,
        operations: ops.slice(0, 20).map((o) => ({ name: o.name, description: describeOperation(p.protocol, o), class: o.class, technique: o.technique, count: countOf(o) })),
        masters: masters.slice(0, 20).map((m) => ({ ip: m.ip, first: new Date(m.first).toISOString(), requests: m.requests })),
        confidence,
      },
    },
    events: eventsOf(ctx, p, ops),
    techniques: techniquesOf(changes, ['T0848']),
    related: { ip: [p.master, p.device, ...shown] },
    source: { ip: p.master },
    destination: { ip: p.device },
    network: { protocol: p.protocol },
  });
}

function roundCounts(counts: Partial<Record<OperationClass, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) if ((v ?? 0) >= FORGOTTEN) out[k] = round(v ?? 0);
  return out;
}
