import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ipaddr from 'ipaddr.js';
import { ZeekLogParser } from '../ingest/parse/zeek/detect';
import { logTypeFromFileName } from '../ingest/parse/zeek/name-hint';
import type { ZeekRecord, ZeekValue } from '../ingest/parse/zeek/record';

/**
 * Connection volume from real data: every Zeek `conn` record of the corpus, replayed as many times as needed. Each
 * copy stands for another site of the same organisation, so that devices, their peers and their pairs grow with the
 * volume as they do in a larger network, and the whole replay lies on one day of event time.
 *
 * Addresses (`id.orig_h`, `id.resp_h`):
 *  - Local addresses (in the configured local networks, or marked local by Zeek itself with `local_orig` /
 *    `local_resp`, which is how the labeled captures mark their university network) are internal devices. Each
 *    local IPv4 /24 of the corpus gets an index k (K of them); in copy c it becomes the /24 number n = c*K + k of
 *    10.0.0.0/8, `10.<n >> 8>.<n & 255>.<host>`. A device keeps its host number and its subnet neighbours, every copy
 *    gets its own subnets, and the copies fill one /16 after another: devices and device pairs grow linearly with
 *    the number of copies. Local IPv6 addresses get the copy added to their second group (within fe80::/10 or
 *    fc00::/7).
 *  - External addresses are shared by copies, as the popular part of the Internet is shared by the sites of one
 *    organisation, while its long tail grows with the traffic: copy c uses variant v = floor(sqrt(c)) of each
 *    external address, its third octet (IPv6: third group) moved by v within its /16 (/32). Distinct external
 *    destinations grow as the square root of the volume, as distinct destinations do in real traffic.
 *  - Multicast, broadcast, loopback and unspecified addresses stay as they are.
 * Times: a capture that spans most of a day (the labeled mixed captures) keeps the time of day of each record, so
 * the day has the captures' own daily rhythm; each copy is offset by up to ten minutes so that the sites do not
 * connect on the same second. A shorter capture (a scenario of minutes or hours, or a test log with masked times,
 * whose records are spaced one second apart) is placed at a phase of the day that differs per copy and per capture,
 * keeping its own intervals, wrapped within the day.
 * Records without `id.orig_h` and `id.resp_h` (Zeek's tests of renamed fields) are left out, since no detector can
 * place them. Stratosphere's `label` and `detailedlabel` columns are dropped: they are annotations, not sensor output, and the
 * detector must not see them.
 */

export const CORPUS = resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
/** Where the corpus's `conn` logs are: the labeled captures, Zeek's test baselines and the ICS parsers' baselines. */
export const CONN_SOURCES = ['labeled/stratosphere-security-datasets', 'zeek/zeek-btest-baseline', 'zeek/icsnpp'];

const DAY_S = 86_400;
/** A capture longer than this is taken as a day of traffic: its records keep their time of day. */
const DAY_LONG_CAPTURE_S = 20 * 3600;
const COPY_JITTER_S = 600;
const DROPPED_FIELDS = ['label', 'detailedlabel'];

/**
 * Names Zeek gives a conn log (`conn.log`, rotated `conn.<time>.log.gz`, Stratosphere's `conn.log.labeled`). Left
 * out: `labeled-conn.log`, the same capture as the `conn.log` beside it, and Zeek's tests of `zeek-cut` output.
 */
const CONN_LOG = /^conn(\.[^.]+)*\.log(\.gz|\.labeled)?$/;

/** Every `conn` log below the given corpus folders, sorted. */
export function connLogFiles(corpus = CORPUS, sources = CONN_SOURCES): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && CONN_LOG.test(entry.name)) out.push(path);
    }
  };
  for (const source of sources) walk(join(corpus, source));
  return out.sort();
}

interface Capture {
  file: string;
  records: ZeekRecord[];
  /** Original time of each record, epoch seconds; records without one are one second apart from 0. */
  times: Float64Array;
  start: number;
  /** Spans most of a day: keeps the time of day. */
  daylong: boolean;
}

type AddressRule =
  | { kind: 'fixed' }
  | { kind: 'local4'; subnet: number; host: number }
  | { kind: 'external4'; a: number; b: number; c: number; d: number }
  | { kind: 'local6'; parts: number[] }
  | { kind: 'external6'; parts: number[] };

export interface ConnReplayOptions {
  /** 00:00 UTC of the day the replay lies on, epoch milliseconds. */
  day: number;
  /** The configured local networks. */
  isLocal(ip: string): boolean;
}

export class ConnReplay {
  readonly captures: Capture[];
  /** Records of one copy. */
  readonly recordsPerCopy: number;
  /** Local IPv4 /24s of one copy (K in the address scheme). */
  readonly localSubnets: number;
  /** Copies the address scheme can hold (the 65,536 /24s of 10.0.0.0/8). */
  readonly maxCopies: number;
  private readonly rules = new Map<string, AddressRule>();
  private cacheCopy = -1;
  private readonly cache = new Map<string, string>();

  private constructor(
    captures: Capture[],
    private readonly options: ConnReplayOptions,
  ) {
    this.captures = captures;
    this.recordsPerCopy = captures.reduce((n, c) => n + c.records.length, 0);
    const zeekLocal = new Set<string>();
    for (const c of captures) {
      for (const r of c.records) {
        if (r.fields.local_orig === true && typeof r.fields['id.orig_h'] === 'string') zeekLocal.add(r.fields['id.orig_h']);
        if (r.fields.local_resp === true && typeof r.fields['id.resp_h'] === 'string') zeekLocal.add(r.fields['id.resp_h']);
      }
    }
    const subnets = new Map<string, number>();
    for (const c of captures) {
      for (const r of c.records) {
        for (const field of ['id.orig_h', 'id.resp_h']) {
          const addr = r.fields[field];
          if (typeof addr !== 'string' || this.rules.has(addr)) continue;
          this.rules.set(addr, ruleFor(addr, options.isLocal(addr) || zeekLocal.has(addr), subnets));
        }
      }
    }
    this.localSubnets = subnets.size;
    this.maxCopies = Math.floor(65_536 / Math.max(1, subnets.size));
  }

  static load(files: string[], options: ConnReplayOptions): ConnReplay {
    const captures: Capture[] = [];
    for (const file of files) {
      const records = readConnRecords(file);
      if (records.length === 0) continue;
      const times = new Float64Array(records.length);
      let timed = true;
      for (const r of records) if (typeof r.fields.ts !== 'number') timed = false;
      records.forEach((r, i) => (times[i] = timed ? (r.fields.ts as number) : i));
      let start = Infinity;
      let end = -Infinity;
      for (const t of times) {
        start = Math.min(start, t);
        end = Math.max(end, t);
      }
      captures.push({ file, records, times, start, daylong: end - start >= DAY_LONG_CAPTURE_S });
    }
    return new ConnReplay(captures, options);
  }

  /** The address `addr` has in copy `copy` (see the scheme above). */
  address(addr: string, copy: number): string {
    if (copy !== this.cacheCopy) {
      this.cache.clear();
      this.cacheCopy = copy;
    }
    let out = this.cache.get(addr);
    if (out === undefined) {
      // Only corpus addresses have a rule; anything else is left as it is.
      out = rewrite(this.rules.get(addr) ?? { kind: 'fixed' }, addr, copy, this.localSubnets);
      this.cache.set(addr, out);
    }
    return out;
  }

  /** Whether the scheme treats the corpus address as an internal device. */
  isDevice(addr: string): boolean {
    const kind = this.rules.get(addr)?.kind;
    return kind === 'local4' || kind === 'local6';
  }

  /** Event time, epoch seconds, of record `index` of capture `capture` in copy `copy`. */
  time(capture: number, index: number, copy: number): number {
    const c = this.captures[capture];
    const t = c.times[index];
    const offset = c.daylong ? t + ((copy * 97) % COPY_JITTER_S) : t - c.start + fraction(copy * 0.6180339887 + capture * 0.7548776662) * DAY_S;
    return this.options.day / 1000 + (((offset % DAY_S) + DAY_S) % DAY_S);
  }

  /** The first `count` records of the replay, rewritten, each with the copy it belongs to. */
  *records(count: number): Generator<{ record: ZeekRecord; copy: number }> {
    if (this.recordsPerCopy === 0) throw new Error('the corpus holds no conn records');
    let produced = 0;
    for (let copy = 0; produced < count; copy++) {
      if (copy >= this.maxCopies) throw new Error(`${count} events need more copies than the address scheme holds (${this.maxCopies})`);
      for (let ci = 0; ci < this.captures.length && produced < count; ci++) {
        const capture = this.captures[ci];
        for (let i = 0; i < capture.records.length && produced < count; i++) {
          const source = capture.records[i];
          const fields: Record<string, ZeekValue> = { ...source.fields, ts: this.time(ci, i, copy) };
          const orig = source.fields['id.orig_h'];
          const resp = source.fields['id.resp_h'];
          if (typeof orig === 'string') fields['id.orig_h'] = this.address(orig, copy);
          if (typeof resp === 'string') fields['id.resp_h'] = this.address(resp, copy);
          produced++;
          yield { record: { path: source.path, fields, types: source.types }, copy };
        }
      }
    }
  }
}

function readConnRecords(file: string): ZeekRecord[] {
  let content = readFileSync(file);
  if (content[0] === 0x1f && content[1] === 0x8b) content = gunzipSync(content);
  const parser = new ZeekLogParser(logTypeFromFileName(basename(file)));
  const records: ZeekRecord[] = [];
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(10, start);
    if (end < 0) end = content.length;
    const outcome = parser.parseLine(content.subarray(start, end));
    start = end + 1;
    if (outcome.kind !== 'record' || outcome.record.path !== 'conn') continue;
    // Zeek's tests of renamed log fields (`src`, `dst`) hold connections without `id.*`: no detector can place them.
    const f = outcome.record.fields;
    if (typeof f['id.orig_h'] === 'string' && typeof f['id.resp_h'] === 'string') records.push(withoutLabels(outcome.record));
  }
  return records;
}

function withoutLabels(record: ZeekRecord): ZeekRecord {
  if (!DROPPED_FIELDS.some((name) => name in record.fields)) return { path: record.path, fields: record.fields, types: record.types };
  const fields: Record<string, ZeekValue> = {};
  for (const [name, value] of Object.entries(record.fields)) if (!DROPPED_FIELDS.includes(name)) fields[name] = value;
  return { path: record.path, fields, types: record.types };
}

function ruleFor(addr: string, local: boolean, subnets: Map<string, number>): AddressRule {
  if (!ipaddr.isValid(addr)) return { kind: 'fixed' };
  const ip = ipaddr.parse(addr);
  if (ip.kind() === 'ipv4') {
    const [a, b, c, d] = (ip as ipaddr.IPv4).octets;
    if (a === 0 || a === 127 || a >= 224) return { kind: 'fixed' };
    if (local) {
      const net = `${a}.${b}.${c}`;
      let subnet = subnets.get(net);
      if (subnet === undefined) subnets.set(net, (subnet = subnets.size));
      return { kind: 'local4', subnet, host: d };
    }
    return { kind: 'external4', a, b, c, d };
  }
  const v6 = ip as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'multicast' || range === 'unspecified' || range === 'loopback' || range === 'ipv4Mapped') return { kind: 'fixed' };
  return local ? { kind: 'local6', parts: [...v6.parts] } : { kind: 'external6', parts: [...v6.parts] };
}

function rewrite(rule: AddressRule, addr: string, copy: number, subnetsPerCopy: number): string {
  switch (rule.kind) {
    case 'fixed':
      return addr;
    case 'local4': {
      const n = copy * subnetsPerCopy + rule.subnet;
      return `10.${n >> 8}.${n & 255}.${rule.host}`;
    }
    case 'external4': {
      const v = Math.floor(Math.sqrt(copy));
      return v === 0 ? addr : `${rule.a}.${rule.b}.${(rule.c + v) & 255}.${rule.d}`;
    }
    case 'local6': {
      const parts = [...rule.parts];
      parts[1] = (parts[1] + copy) & 0xffff;
      return new ipaddr.IPv6(parts).toString();
    }
    case 'external6': {
      const v = Math.floor(Math.sqrt(copy));
      if (v === 0) return addr;
      const parts = [...rule.parts];
      parts[2] = (parts[2] + v) & 0xffff;
      return new ipaddr.IPv6(parts).toString();
    }
  }
}

function fraction(x: number): number {
  return x - Math.floor(x);
}
