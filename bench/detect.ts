import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@elastic/elasticsearch';
import { validateConfig } from '../common/config/load';
import type { VigilConfig } from '../common/config/schema';
import { ANOMALIES_PATTERN, ASSETS_INDEX, BASELINES_INDEX, CONDUITS_INDEX, DETECTOR_STATE_INDEX, INCIDENTS_INDEX, zeekEventsIndex } from '../common/es/names';
import type { AssetPassSummary } from '../detector/assets/pass';
import { zeekEventsTemplate } from '../common/es/templates/zeek';
import { localNetworkMatcher } from '../ingest/enrich/direction';
import { normalizeZeek, type NormalizeContext } from '../ingest/normalize/zeek';
import type { PassSummary } from '../detector/pass';
import { ConnReplay, connLogFiles } from './conn-replay';
import { PROGRESS, type DetectStepOutput, type PassProgress, type RequestTimes } from './detect-child';
import type { SweepResult } from './detect-sweeps';
import { deleteEvents, round2, type EsTarget } from './zeek-ingest';

/**
 * Detection benchmark. For each volume (1 and 10 million conn events by default) the corpus's conn records are
 * replayed onto one day (see `conn-replay.ts` for how times and addresses are rewritten), normalized by the ingest
 * normalizer and bulk-indexed; then, each in a process of its own:
 *  - the floor: one composite aggregation sweep over every window of the day, keyed like the detector's main conn
 *    sweep and read as the detector reads its sweeps (`compositePages`: its page size, cut into ranges of the first
 *    source past the first page), run before and after the pass; the mean is used, since the cluster's caches warm
 *    and its merges settle during a run;
 *  - one detection pass over the same windows with every registered model, under the heap flags of `bin/vigil.js`,
 *    with its time and the process's peak RSS.
 * Targets: a pass at most 3 times the floor; peak RSS under 500 MB and the same at both volumes.
 * VIGIL_BENCH_DETECT_SMALL and VIGIL_BENCH_DETECT_LARGE set the two volumes.
 */

const REPO = resolve(__dirname, '..', '..');
/** A Monday well in the past, so that every window of the day is complete. */
const DAY = Date.UTC(2025, 5, 2);
const BATCH_DOCS = 5000;
/** Bulk requests in flight: enough to keep both of Elasticsearch's write threads busy while the next body is built. */
const IN_FLIGHT = 3;
const DETECTOR_OUTPUT = [BASELINES_INDEX, ANOMALIES_PATTERN, INCIDENTS_INDEX, DETECTOR_STATE_INDEX, ASSETS_INDEX, CONDUITS_INDEX];
/** Heap cap of the diagnostic pass run when the command's cap is not enough. */
const UNCAPPED_HEAP_MB = 4096;
/** The largest `detector.pageSize` the configuration allows. */
const LARGEST_PAGE = 10_000;
export const DEFAULT_SMALL = 1_000_000;
export const DEFAULT_LARGE = 10_000_000;

export interface DetectSizeResult {
  events: number;
  copies: number;
  /** Distinct internal devices that opened connections, and distinct external destinations. */
  devices: number;
  externalPeers: number;
  loadSeconds: number;
  loadDocsPerSecond: number;
  segments: number;
  windows: number;
  /** Buckets of the floor sweep over all windows: (device, peer, port, transport) per window. */
  buckets: number;
  pages: number;
  floorSeconds: number;
  floorRuns: number[];
  floorRssMb: number;
  /** The new-connection model's own request, and one request carrying what every conn model reads. */
  newConnectionSweepSeconds: number;
  sharedSweepSeconds: number;
  /**
   * The floor with the largest page the configuration allows. A composite aggregation visits every event of the
   * window for each page it returns, so a window's sweep costs about pages times events.
   */
  floorLargePagesSeconds: number;
  /** The floor paged plainly, each page visiting the whole window (as every sweep was read before ranges). */
  floorPlainSeconds: number;
  passOverPlainFloor?: number;
  passSeconds?: number;
  passOverFloor?: number;
  peakRssMb?: number;
  passError?: string;
  peakRssAtFailureMb?: number;
  /** How far a pass that did not finish got: windows done, anomalies held, its memory then. */
  passProgress?: PassProgress;
  /**
   * When the pass runs out of memory under the command's heap flags: the same pass again with a heap cap large
   * enough to finish, to show what it needs.
   */
  uncapped?: { heapMb: number; passSeconds?: number; passOverFloor?: number; peakRssMb?: number; passError?: string; progress?: PassProgress };
  /** Per model: time and number of its requests by kind (`_search` event reads, `_mget` baseline reads, `_bulk` writes). */
  passRequests?: RequestTimes;
  /** Baselines stored after the pass, to set against the number written (each is written once per checkpoint at best). */
  baselinesStored?: { total: number; byKind: Record<string, number> };
  pass?: Pick<PassSummary, 'windows' | 'events' | 'entities' | 'anomalies' | 'alerts' | 'baselines' | 'byModel' | 'incidents'>;
  /** The inventory pass over the same events (`vigil assets`, zones configured), in a process of its own. */
  assets?: AssetBenchResult;
}

export interface AssetBenchResult {
  passSeconds?: number;
  peakRssMb?: number;
  passError?: string;
  /** One composite sweep keyed by device over all the events at once, with the inventory's page size: keys only. */
  deviceSweepSeconds: number;
  /** The same with each device's last-seen time, which makes it read every event: the reference. */
  lastSeenSweepSeconds: number;
  passOverDeviceSweep?: number;
  passOverLastSeenSweep?: number;
  /** The pass over the detection floor (the per-window four-key sweep) of the same events. */
  passOverFloor?: number;
  summary?: AssetPassSummary;
}

/** Which parts the detection benchmark measures on the indexed events. */
export interface DetectParts {
  detect: boolean;
  assets: boolean;
}

export interface DetectBenchResult {
  sizes: DetectSizeResult[];
  /** Peak RSS of the pass at the large volume over that at the small one. */
  rssLargeOverSmall?: number;
  /** The same when the large volume's pass needed a larger heap to finish. */
  rssUncappedLargeOverSmall?: number;
}

export function detectSizes(env: NodeJS.ProcessEnv = process.env): number[] {
  const read = (name: string, fallback: number) => {
    const v = env[name] ? Number(env[name]) : fallback;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} takes a positive whole number of events`);
    return v;
  };
  return [read('VIGIL_BENCH_DETECT_SMALL', DEFAULT_SMALL), read('VIGIL_BENCH_DETECT_LARGE', DEFAULT_LARGE)];
}

export async function benchDetect(
  es: EsTarget,
  setup: () => Promise<void>,
  say: (line: string) => void,
  sizes = detectSizes(),
  parts: DetectParts = { detect: true, assets: true },
): Promise<DetectBenchResult> {
  const config = validateConfig({}, 'the benchmark');
  const isLocal = localNetworkMatcher(config.networks.local);
  const files = connLogFiles();
  const replay = ConnReplay.load(files, { day: DAY, isLocal });
  say(`conn corpus: ${replay.recordsPerCopy} records in ${files.length} logs, ${replay.localSubnets} local /24s per copy (at most ${replay.maxCopies} copies)`);
  const result: DetectBenchResult = { sizes: [] };
  for (const events of sizes) {
    await deleteEvents(es.client);
    await resetDetector(es.client, setup);
    const size = await benchSize(es, setup, config, replay, events, say, parts);
    result.sizes.push(size);
  }
  await deleteEvents(es.client);
  const [small, large] = result.sizes;
  if (small?.peakRssMb && large?.peakRssMb) result.rssLargeOverSmall = round2(large.peakRssMb / small.peakRssMb);
  if (small?.peakRssMb && large?.uncapped?.peakRssMb) result.rssUncappedLargeOverSmall = round2(large.uncapped.peakRssMb / small.peakRssMb);
  return result;
}

async function benchSize(
  es: EsTarget,
  setup: () => Promise<void>,
  config: VigilConfig,
  replay: ConnReplay,
  events: number,
  say: (line: string) => void,
  parts: DetectParts,
): Promise<DetectSizeResult> {
  say(`indexing ${events} conn events`);
  const load = await loadEvents(es.client, config, replay, events, say);
  say(`  ${events} docs in ${load.seconds.toFixed(1)} s = ${Math.round(events / load.seconds)} docs/s; ${load.devices} devices, ${load.externalPeers} external destinations, ${load.copies} copies; ${load.segments} segments after merges`);

  // Not measured: the first sweep brings the index's doc values into the page cache.
  await runStep(es, ['sweep', 'floor']);
  const floorA = await runStep(es, ['sweep', 'floor']);
  const sweepA = floorA.result as SweepResult;
  say(`floor sweep: ${sweepA.windows} windows, ${sweepA.pages} pages, ${sweepA.buckets} buckets, ${sweepA.events} events in ${floorA.seconds.toFixed(1)} s`);
  if (sweepA.events !== events) throw new Error(`the floor sweep saw ${sweepA.events} events, ${events} were indexed`);

  const size: Partial<DetectSizeResult> = {};
  if (parts.assets) size.assets = await benchAssets(es, setup, floorA.seconds, say);
  if (parts.detect) try {
    const pass = await runStep(es, ['pass']);
    Object.assign(size, describePass(pass, say));
    size.baselinesStored = await storedBaselines(es.client);
    const written = size.pass?.baselines.written ?? 0;
    say(`  baselines: ${written} written for ${size.baselinesStored.total} stored (${round2(written / Math.max(1, size.baselinesStored.total))} writes each); stored by model and kind: ${Object.entries(size.baselinesStored.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  } catch (err) {
    const failure = err as StepError;
    size.passError = failure.message;
    size.passProgress = failure.progress;
    size.peakRssAtFailureMb = failure.peakRssMb;
    say(`pass failed: ${failure.message}`);
    if (failure.outOfMemory) {
      await resetDetector(es.client, setup);
      const heapMb = UNCAPPED_HEAP_MB;
      try {
        const pass = await runStep(es, ['pass'], [`--max-old-space-size=${heapMb}`]);
        const again = describePass(pass, say);
        size.uncapped = { heapMb, passSeconds: again.passSeconds, peakRssMb: again.peakRssMb, progress: pass.progress };
        size.passRequests = again.passRequests;
        size.pass = again.pass;
      } catch (retry) {
        size.uncapped = { heapMb, passError: (retry as StepError).message, progress: (retry as StepError).progress, peakRssMb: (retry as StepError).peakRssMb };
        say(`pass with a ${heapMb} MB heap failed too: ${(retry as StepError).message}`);
      }
    }
  }

  const floorB = await runStep(es, ['sweep', 'floor']);
  say(`floor sweep again: ${floorB.seconds.toFixed(1)} s`);
  const floorSeconds = (floorA.seconds + floorB.seconds) / 2;
  if (size.assets?.passSeconds !== undefined) size.assets.passOverFloor = round2(size.assets.passSeconds / floorSeconds);
  const skipped = { seconds: Number.NaN, result: { pages: 0 } } as unknown as DetectStepOutput;
  const own = parts.detect ? await runStep(es, ['sweep', 'new_connection']) : skipped;
  const shared = parts.detect ? await runStep(es, ['sweep', 'shared']) : skipped;
  if (parts.detect) say(`new-connection's own sweep: ${own.seconds.toFixed(1)} s; one sweep with what every conn model reads: ${shared.seconds.toFixed(1)} s`);
  const large = parts.detect ? await runStep(es, ['sweep', 'floor', String(LARGEST_PAGE)]) : skipped;
  if (parts.detect) say(`floor sweep with pages of ${LARGEST_PAGE} buckets: ${(large.result as SweepResult).pages} pages in ${large.seconds.toFixed(1)} s`);
  const plain = parts.detect ? await runStep(es, ['sweep', 'plain']) : skipped;
  if (parts.detect) say(`floor sweep paged plainly: ${(plain.result as SweepResult).pages} pages in ${plain.seconds.toFixed(1)} s`);
  return {
    events,
    copies: load.copies,
    devices: load.devices,
    externalPeers: load.externalPeers,
    loadSeconds: round2(load.seconds),
    loadDocsPerSecond: Math.round(events / load.seconds),
    segments: load.segments,
    windows: sweepA.windows,
    buckets: sweepA.buckets,
    pages: sweepA.pages,
    floorSeconds: round2(floorSeconds),
    floorRuns: [round2(floorA.seconds), round2(floorB.seconds)],
    floorRssMb: Math.max(floorA.peakRssMb, floorB.peakRssMb),
    newConnectionSweepSeconds: round2(own.seconds),
    sharedSweepSeconds: round2(shared.seconds),
    floorLargePagesSeconds: round2(large.seconds),
    floorPlainSeconds: round2(plain.seconds),
    ...size,
    passOverFloor: size.passSeconds !== undefined ? round2(size.passSeconds / floorSeconds) : undefined,
    passOverPlainFloor: size.passSeconds !== undefined && parts.detect ? round2(size.passSeconds / plain.seconds) : undefined,
    uncapped: size.uncapped && { ...size.uncapped, passOverFloor: size.uncapped.passSeconds !== undefined ? round2(size.uncapped.passSeconds / floorSeconds) : undefined },
  };
}

/**
 * The inventory pass over the indexed events, from an empty inventory, and the composite sweep keyed by device it is
 * compared with (run before and after the pass; the mean is used).
 */
async function benchAssets(es: EsTarget, setup: () => Promise<void>, floorSeconds: number, say: (line: string) => void): Promise<AssetBenchResult> {
  await runStep(es, ['device-sweep']);
  const sweepA = await runStep(es, ['device-sweep']);
  const lastA = await runStep(es, ['device-sweep', 'last-seen']);
  say(`device sweep: ${(sweepA.result as SweepResult).pages} pages, ${(sweepA.result as SweepResult).buckets} devices in ${sweepA.seconds.toFixed(1)} s; with last seen ${lastA.seconds.toFixed(1)} s`);
  const out: AssetBenchResult = { deviceSweepSeconds: 0, lastSeenSweepSeconds: 0 };
  try {
    await resetDetector(es.client, setup);
    const pass = await runStep(es, ['assets']);
    const s = pass.result as AssetPassSummary;
    out.passSeconds = round2(pass.seconds);
    out.peakRssMb = pass.peakRssMb;
    out.summary = s;
    // Devices are written a page at a time as the conn sweeps pass them: every one must be there, once.
    await es.client.indices.refresh({ index: ASSETS_INDEX });
    const documents = (await es.client.count({ index: ASSETS_INDEX })).count;
    if (documents !== s.devices.created) throw new Error(`the inventory pass created ${s.devices.created} devices, the index holds ${documents}`);
    say(`inventory pass: ${s.events} events, ${s.devices.observed} devices (${s.devices.created} new), ${s.conduits.observed} conduits, ${s.requests} requests (${s.readSeconds.toFixed(1)} s reading) in ${pass.seconds.toFixed(1)} s, peak RSS ${pass.peakRssMb} MB`);
  } catch (err) {
    out.passError = (err as Error).message;
    say(`inventory pass failed: ${out.passError}`);
  }
  const sweepB = await runStep(es, ['device-sweep']);
  const lastB = await runStep(es, ['device-sweep', 'last-seen']);
  say(`device sweep again: ${sweepB.seconds.toFixed(1)} s; with last seen ${lastB.seconds.toFixed(1)} s`);
  out.deviceSweepSeconds = round2((sweepA.seconds + sweepB.seconds) / 2);
  out.lastSeenSweepSeconds = round2((lastA.seconds + lastB.seconds) / 2);
  if (out.passSeconds !== undefined) {
    out.passOverDeviceSweep = round2(out.passSeconds / out.deviceSweepSeconds);
    out.passOverLastSeenSweep = round2(out.passSeconds / out.lastSeenSweepSeconds);
    out.passOverFloor = round2(out.passSeconds / floorSeconds);
  }
  return out;
}

/** The pass's figures, and on the log what its models spent their time on. */
export function describePass(pass: DetectStepOutput, say: (line: string) => void): Pick<DetectSizeResult, 'passSeconds' | 'peakRssMb' | 'pass' | 'passRequests'> {
  const s = pass.result as PassSummary;
  const models = Object.entries(s.byModel)
    .map(([id, m]) => `${id} ${m.seconds.toFixed(1)} s`)
    .join(', ');
  const held = pass.progress ? `; ${pass.progress.anomaliesHeld} anomalies held for incidents, ${pass.progress.anomaliesHeldMb.toFixed(1)} MB as JSON` : '';
  say(`pass: ${s.windows} windows, ${s.events} events, ${s.entities} entities, ${s.anomalies} anomalies in ${pass.seconds.toFixed(1)} s, peak RSS ${pass.peakRssMb} MB${held} (${models})`);
  for (const [id, kinds] of Object.entries(pass.requests ?? {})) {
    const spent = Object.entries(kinds)
      .filter(([, k]) => k.requests > 0)
      .map(([kind, k]) => `${kind} ${k.seconds.toFixed(1)} s (${k.requests})`)
      .join(', ');
    // Reads ahead and writes behind overlap each other and the model's computing: the sum may pass its time.
    const own = s.byModel[id] ? `; the model's time ${s.byModel[id].seconds.toFixed(1)} s` : '';
    say(`  ${id}: ${spent}${own}`);
  }
  return {
    passSeconds: round2(pass.seconds),
    peakRssMb: pass.peakRssMb,
    passRequests: pass.requests,
    pass: { windows: s.windows, events: s.events, entities: s.entities, anomalies: s.anomalies, alerts: s.alerts, baselines: s.baselines, incidents: s.incidents, byModel: s.byModel },
  };
}

interface LoadResult {
  seconds: number;
  copies: number;
  devices: number;
  externalPeers: number;
  segments: number;
}

/**
 * Normalizes the replayed records as the ingest worker does and bulk-indexes them, several requests in flight while
 * the next body is built. The day's index is created with refresh off and an asynchronous translog for the load
 * (neither changes what is indexed), then given its template's settings back, refreshed and left to finish its
 * merges, so that the sweeps that follow do not share the machine with them.
 */
export async function loadEvents(client: Client, config: VigilConfig, replay: ConnReplay, count: number, say: (line: string) => void): Promise<LoadResult> {
  const rollover = config.elasticsearch.indexRollover;
  const index = zeekEventsIndex(new Date(DAY).toISOString(), rollover);
  await client.indices.create({ index, settings: { refresh_interval: '-1', 'index.translog.durability': 'async' } });
  const isLocal = localNetworkMatcher(config.networks.local);
  const ctx: NormalizeContext = { isLocal, sensor: 'bench', fallbackTs: DAY / 1000, ingested: new Date().toISOString() };
  const actions = new Map<string, string>();
  const devices = new Set<string>();
  const externalPeers = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let lines: string[] = [];
  let copies = 0;
  let sent = 0;
  let reported = 0;
  const started = process.hrtime.bigint();
  const send = async (body: string, docs: number) => {
    const res = (await client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: 'errors,items.*.error' } })) as {
      errors: boolean;
      items?: Array<Record<string, { error?: unknown }>>;
    };
    if (res.errors) throw new Error(`a replayed event was rejected: ${JSON.stringify(res.items?.find((i) => Object.values(i)[0].error))}`);
    sent += docs;
    if (sent - reported >= count / 10) {
      reported = sent;
      const s = Number(process.hrtime.bigint() - started) / 1e9;
      say(`  ${sent} docs in ${s.toFixed(0)} s`);
    }
  };
  const flush = async () => {
    const body = lines.join('\n') + '\n';
    const docs = lines.length >> 1;
    lines = [];
    const p = send(body, docs).catch((err: Error) => {
      failure ??= err;
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  for (const { record, copy } of replay.records(count)) {
    copies = copy + 1;
    const doc = normalizeZeek(record, ctx);
    const target = zeekEventsIndex(doc['@timestamp'], rollover);
    let action = actions.get(target);
    if (action === undefined) actions.set(target, (action = JSON.stringify({ create: { _index: target } })));
    lines.push(action, JSON.stringify(doc));
    const source = (doc.source as { ip?: string } | undefined)?.ip;
    const destination = (doc.destination as { ip?: string } | undefined)?.ip;
    if (source !== undefined && isLocal(source)) devices.add(source);
    if (destination !== undefined && !isLocal(destination)) externalPeers.add(destination);
    if (lines.length >= BATCH_DOCS * 2) await flush();
  }
  if (lines.length > 0) await flush();
  await Promise.all(inFlight);
  if (failure) throw failure;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const refresh = zeekEventsTemplate().body.template.settings.refresh_interval;
  await client.indices.putSettings({ index: [...actions.keys()], settings: { refresh_interval: refresh, 'index.translog.durability': 'request' } });
  await client.indices.refresh({ index: [...actions.keys()] });
  await client.indices.flush({ index: [...actions.keys()] });
  await waitForMerges(client, [...actions.keys()]);
  const indexed = await client.count({ index: [...actions.keys()] });
  if (indexed.count !== count) throw new Error(`${indexed.count} events were indexed, ${count} were sent`);
  const stats = await client.indices.stats({ index: [...actions.keys()], metric: 'segments' });
  return { seconds, copies, devices: devices.size, externalPeers: externalPeers.size, segments: stats._all.primaries?.segments?.count ?? 0 };
}

async function waitForMerges(client: Client, index: string[], timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) throw new Error('the event index was still merging after 30 minutes');
    await new Promise((r) => setTimeout(r, 2000));
    const stats = await client.indices.stats({ index, metric: 'merge' });
    quiet = (stats._all.primaries?.merges?.current ?? 0) === 0 ? quiet + 1 : 0;
  }
}

/** The baselines a pass left, in all and by model and kind. */
async function storedBaselines(client: Client): Promise<{ total: number; byKind: Record<string, number> }> {
  await client.indices.refresh({ index: BASELINES_INDEX });
  const r = await client.search({
    index: BASELINES_INDEX,
    size: 0,
    track_total_hits: true,
    aggs: { models: { terms: { field: 'model', size: 100 }, aggs: { kinds: { terms: { field: 'kind', size: 100 } } } } },
  });
  const total = typeof r.hits.total === 'number' ? r.hits.total : (r.hits.total?.value ?? 0);
  type Buckets = { buckets: Array<{ key: string; doc_count: number; kinds: { buckets: Array<{ key: string; doc_count: number }> } }> };
  const byKind: Record<string, number> = {};
  for (const m of (r.aggregations?.models as Buckets).buckets) for (const k of m.kinds.buckets) byKind[`${m.key}/${k.key}`] = k.doc_count;
  return { total, byKind };
}

/** Deletes what a pass writes (baselines, anomalies, incidents, progress), so that each pass starts from nothing. */
export async function resetDetector(client: Client, setup: () => Promise<void>): Promise<void> {
  const indices = Object.keys(await client.indices.get({ index: DETECTOR_OUTPUT, allow_no_indices: true, ignore_unavailable: true, expand_wildcards: 'all' }));
  for (let i = 0; i < indices.length; i += 50) await client.indices.delete({ index: indices.slice(i, i + 50) });
  await setup();
}

/** The heap flags of the `vigil` command's interpreter line, so that the pass runs with the memory limits it has in use. */
export function cliHeapFlags(): string[] {
  const first = readFileSync(join(REPO, 'bin', 'vigil.js'), 'utf8').split('\n', 1)[0];
  return first.match(/--max-[a-z-]+=\S+/g) ?? [];
}

class StepError extends Error {
  constructor(
    message: string,
    readonly outOfMemory: boolean,
    readonly peakRssMb?: number,
    readonly progress?: PassProgress,
  ) {
    super(message);
  }
}

/**
 * Runs one step in its own process and returns what it prints. Its peak RSS is also read from the parent
 * (`VmHWM`), so that a step that dies still has one; a pass's last progress line says how far it got.
 */
export async function runStep(es: EsTarget, args: string[], heapFlags = cliHeapFlags()): Promise<DetectStepOutput> {
  const flags = [...cliHeapFlags().filter((f) => !heapFlags.some((h) => h.split('=')[0] === f.split('=')[0])), ...heapFlags];
  const child = spawn(process.execPath, [...flags, join(__dirname, 'detect-child.js'), ...args], {
    env: { ...process.env, VIGIL_ES_URL: es.url, VIGIL_ES_USERNAME: es.username, VIGIL_ES_PASSWORD: es.password, VIGIL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let fatal: string | undefined;
  let progress: PassProgress | undefined;
  let hwmKb = 0;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    if (line.startsWith(PROGRESS)) progress = JSON.parse(line.slice(PROGRESS.length)) as PassProgress;
    else {
      if (fatal === undefined && /FATAL ERROR|out of memory/i.test(line)) fatal = line.trim();
      // Only the end matters: the reason of a failure.
      stderr = (stderr + line + '\n').slice(-4000);
    }
  });
  const poll = setInterval(() => {
    const m = /VmHWM:\s+(\d+) kB/.exec(safeRead(`/proc/${child.pid}/status`));
    if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
  }, 500);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearInterval(poll);
  const peakRssMb = hwmKb > 0 ? Math.round(hwmKb / 1024) : undefined;
  if (code !== 0) {
    const reason = fatal ?? stderr.trim().split('\n').slice(-3).join(' | ');
    const where = progress ? ` after ${progress.windows} windows (${progress.anomaliesHeld} anomalies held, ${progress.anomaliesHeldMb} MB as JSON; heap ${progress.heapUsedMb} MB)` : '';
    throw new StepError(`${args.join(' ')} exited with ${code ?? 'a signal'}${where}: ${reason}`, fatal !== undefined, peakRssMb, progress);
  }
  const output = JSON.parse(stdout.trim().split('\n').pop()!) as DetectStepOutput;
  return { ...output, peakRssMb: Math.max(output.peakRssMb, peakRssMb ?? 0) };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
