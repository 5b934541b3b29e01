import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@elastic/elasticsearch';
import { zeekEventsIndex, ZEEK_EVENTS_PATTERN } from '../common/es/names';
import { ZeekLogParser } from '../ingest/parse/zeek/detect';
import type { ZeekRecord } from '../ingest/parse/zeek/record';
import { logTypeFromFileName } from '../ingest/parse/zeek/name-hint';
import { normalizeZeek } from '../ingest/normalize/zeek';
import { localNetworkMatcher } from '../ingest/enrich/direction';
import { documentId } from '../ingest/worker';
import type { IngestSummary } from '../ingest/stats';
import { replayZeekLogs } from './replay';

/**
 * Zeek ingest benchmark. Every figure is reported next to a reference measured in the same run on the same
 * machine, because absolute numbers on shared machines mean little:
 *  - parse-and-normalize lines/s, against the end-to-end rate (target: at least 10 times faster), and the same with
 *    serialization to NDJSON added, the whole CPU cost per line in the worker;
 *  - end-to-end documents/s of `vigil ingest zeek --once` into Elasticsearch, against a plain `_bulk` of the very
 *    same documents already serialized, sent with the same batch size and concurrency (target: at least 0.8);
 *  - the worker's peak RSS (target: under 300 MB), at two input sizes to show it does not grow with the input.
 */

const ZEEK_SAMPLE = resolve(__dirname, '..', '..', '..', 'shared', 'corpus', 'zeek', 'zed-sample-data', 'zeek-default');
const REPO = resolve(__dirname, '..', '..');
const BATCH_DOCS = 5000;
const CONCURRENCY = 2;

export interface EsTarget {
  client: Client;
  url: string;
  username: string;
  password: string;
}

export interface ZeekBenchResult {
  lines: number;
  parseLinesPerSecond: number;
  plainBulkDocsPerSecond: number;
  endToEndDocsPerSecond: number;
  endToEndOverPlainBulk: number;
  parseOverEndToEnd: number;
  serializeLinesPerSecond: number;
  serializeOverEndToEnd: number;
  peakRssMb: number;
  peakRssMbSmallInput: number;
}

export async function benchZeekIngest(es: EsTarget, minLines: number, say: (line: string) => void): Promise<ZeekBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  try {
    say(`replaying ${ZEEK_SAMPLE} to at least ${minLines} lines`);
    const replay = replayZeekLogs(ZEEK_SAMPLE, join(work, 'zeek'), minLines);
    say(`  ${replay.dataLines} data lines in ${replay.files.length} files, ${(replay.bytes / 1048576).toFixed(0)} MiB`);

    const ndjson = join(work, 'bulk.ndjson');
    const parse = await parseAndNormalize(replay.files, ndjson);
    say(`parse and normalize: ${parse.lines} lines in ${parse.seconds.toFixed(2)} s = ${Math.round(parse.lines / parse.seconds)} lines/s`);
    say(`parse, normalize and serialize: ${parse.lines} lines in ${parse.serializedSeconds.toFixed(2)} s = ${Math.round(parse.lines / parse.serializedSeconds)} lines/s`);

    // The reference runs before and after the worker, and their mean is used: the cluster warms up (JIT, caches,
    // segment merges) during a run, and a single reference run on either side would favour one of the two.
    // A first pass that is not measured: a fresh node compiles and sizes its caches during the first minute.
    await deleteEvents(es.client);
    const warmUp = await plainBulk(es, ndjson);
    say(`warm-up _bulk (not measured): ${warmUp.docs} docs in ${warmUp.seconds.toFixed(2)} s`);

    await deleteEvents(es.client);
    const plainBefore = await plainBulk(es, ndjson);
    say(`plain _bulk of the same serialized documents: ${plainBefore.docs} docs in ${plainBefore.seconds.toFixed(2)} s = ${Math.round(plainBefore.docs / plainBefore.seconds)} docs/s`);

    await deleteEvents(es.client);
    const e2e = await endToEnd(es, [replay.dir], join(work, 'state-full'));
    say(`end to end: ${e2e.summary.documentsIndexed} docs in ${e2e.seconds.toFixed(2)} s = ${Math.round(e2e.summary.documentsIndexed / e2e.seconds)} docs/s, peak RSS ${e2e.peakRssMb} MB`);
    if (e2e.summary.documentsIndexed !== plainBefore.docs) {
      throw new Error(`end to end indexed ${e2e.summary.documentsIndexed} documents, the plain bulk ${plainBefore.docs}: the runs differ`);
    }

    await deleteEvents(es.client);
    const plainAfter = await plainBulk(es, ndjson);
    say(`plain _bulk again: ${plainAfter.docs} docs in ${plainAfter.seconds.toFixed(2)} s = ${Math.round(plainAfter.docs / plainAfter.seconds)} docs/s`);
    const plain = { docs: plainBefore.docs, seconds: (plainBefore.seconds + plainAfter.seconds) / 2 };
    rmSync(ndjson);

    // Same worker on a quarter of the files: peak RSS should not depend on the input size.
    await deleteEvents(es.client);
    const small = await endToEnd(es, replay.files.slice(0, Math.max(1, Math.floor(replay.files.length / 4))), join(work, 'state-small'));
    say(`end to end on a quarter of the input: peak RSS ${small.peakRssMb} MB`);
    await deleteEvents(es.client);

    const plainRate = plain.docs / plain.seconds;
    const e2eRate = e2e.summary.documentsIndexed / e2e.seconds;
    const parseRate = parse.lines / parse.seconds;
    return {
      lines: replay.dataLines,
      parseLinesPerSecond: Math.round(parseRate),
      plainBulkDocsPerSecond: Math.round(plainRate),
      endToEndDocsPerSecond: Math.round(e2eRate),
      endToEndOverPlainBulk: round2(e2eRate / plainRate),
      parseOverEndToEnd: round2(parseRate / e2eRate),
      serializeLinesPerSecond: Math.round(parse.lines / parse.serializedSeconds),
      serializeOverEndToEnd: round2(parse.lines / parse.serializedSeconds / e2eRate),
      peakRssMb: e2e.peakRssMb,
      peakRssMbSmallInput: small.peakRssMb,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Two passes over the replayed files, as the worker handles each line: the first times parsing and normalizing
 * (the figure the target is set on), the second also serializes each document with its bulk action line, times
 * that too, and keeps the NDJSON for the plain bulk run.
 */
async function parseAndNormalize(files: string[], ndjsonFile: string): Promise<{ lines: number; seconds: number; serializedSeconds: number }> {
  const isLocal = localNetworkMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
  const contents = files.map((file) => readFileSync(file));
  const ingested = new Date().toISOString();
  const context = { isLocal, fallbackTs: 0, ingested, sensor: 'bench' };

  let lines = 0;
  const started = process.hrtime.bigint();
  for (let f = 0; f < files.length; f++) {
    forEachRecord(files[f], contents[f], (record) => {
      if (normalizeZeek(record, context)['@timestamp']) lines++;
    });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const out = createWriteStream(ndjsonFile);
  let serialized = 0n;
  for (let f = 0; f < files.length; f++) {
    const content = contents[f];
    const key = createHash('sha256').update(content.subarray(0, 1024)).digest('base64url');
    const chunks: string[] = [];
    const t = process.hrtime.bigint();
    forEachRecord(files[f], content, (record, offset) => {
      const doc = normalizeZeek(record, context);
      chunks.push(`{"create":{"_index":"${zeekEventsIndex(doc['@timestamp'], 'daily')}","_id":"${documentId(key, offset)}"}}\n${JSON.stringify(doc)}\n`);
    });
    const body = chunks.join('');
    serialized += process.hrtime.bigint() - t;
    if (!out.write(body)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { lines, seconds, serializedSeconds: Number(serialized) / 1e9 };
}

function forEachRecord(file: string, content: Buffer, onRecord: (record: ZeekRecord, offset: number) => void): void {
  const parser = new ZeekLogParser(logTypeFromFileName(basename(file)));
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(10, start);
    if (end < 0) end = content.length;
    const outcome = parser.parseLine(content.subarray(start, end));
    if (outcome.kind === 'record') onRecord(outcome.record, start);
    start = end + 1;
  }
}

/** The physical limit: already serialized documents sent as fast as the cluster takes them, same batches, same concurrency. */
export async function plainBulk(es: EsTarget, ndjsonFile: string): Promise<{ docs: number; seconds: number }> {
  const rl = createInterface({ input: createReadStream(ndjsonFile), crlfDelay: Infinity });
  const bodies: string[] = [];
  let current: string[] = [];
  for await (const line of rl) {
    current.push(line);
    if (current.length === BATCH_DOCS * 2) {
      bodies.push(current.join('\n') + '\n');
      current = [];
    }
  }
  if (current.length) bodies.push(current.join('\n') + '\n');
  let docs = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = (await es.client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: 'errors,items.*.status' } })) as {
        errors: boolean;
        items?: Array<Record<string, { status: number }>>;
      };
      if (res.errors) {
        const bad = res.items?.find((i) => Object.values(i)[0].status >= 300);
        throw new Error(`plain bulk: a document was rejected (${JSON.stringify(bad)})`);
      }
      docs += body.split('\n').length >> 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, sender));
  return { docs, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function endToEnd(es: EsTarget, paths: string[], stateDir: string): Promise<{ summary: IngestSummary & { peakRssMb?: number }; seconds: number; peakRssMb: number }> {
  return runIngestCommand(es, ['zeek', ...paths], stateDir);
}

/** `vigil ingest <args> --once --json`, timed, with the summary it prints. */
export async function runIngestCommand(
  es: EsTarget,
  args: string[],
  stateDir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ summary: IngestSummary & { peakRssMb?: number }; seconds: number; peakRssMb: number }> {
  const started = process.hrtime.bigint();
  // The command itself, as users run it (its interpreter line sets the heap cap).
  const child = spawn(join(REPO, 'bin', 'vigil.js'), ['ingest', ...args, '--once', '--json', '--no-progress'], {
    env: {
      ...process.env,
      VIGIL_ES_URL: es.url,
      VIGIL_ES_USERNAME: es.username,
      VIGIL_ES_PASSWORD: es.password,
      VIGIL_STATE_DIR: stateDir,
      VIGIL_LOG_LEVEL: 'warn',
      VIGIL_CONFIG: '',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`vigil ingest exited with ${code}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as IngestSummary & { peakRssMb: number };
  return { summary, seconds, peakRssMb: summary.peakRssMb };
}

/** Deletes the event indices by name: clusters refuse wildcard deletes by default (action.destructive_requires_name). */
export async function deleteEvents(client: Client, pattern: string | string[] = ZEEK_EVENTS_PATTERN): Promise<void> {
  const indices = Object.keys(await client.indices.get({ index: pattern, allow_no_indices: true, expand_wildcards: 'all' }));
  // A few dozen names per request keep the URL short.
  for (let i = 0; i < indices.length; i += 50) await client.indices.delete({ index: indices.slice(i, i + 50) });
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
