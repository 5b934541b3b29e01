import { appendFileSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { SourceLine } from '../line';
import { CHECKPOINT_FILE, type Checkpoint } from './checkpointer';
import { commitBatch, CORPUS, drain, type Scratch, scratchDir } from './files.fixture';
import { FileSource, type FileSourceOptions, type FileSourceWarning } from './follower';

/**
 * Files that start alike are not the same file. Zeek's test baselines mask their timestamps, so logs of one type
 * share their header and often their first records: their first kilobyte (the fingerprint) is the same although
 * their contents differ further on.
 */
const X509 = path.join(CORPUS, 'zeek/zeek-btest-baseline/testing/btest/Baseline');
/** 2,391 bytes. */
const CACHING_HOOK = path.join(X509, 'scripts.base.files.x509.caching-hook/x509.log');
/** Byte-identical to CACHING_HOOK. */
const LOG_CACHING = path.join(X509, 'scripts.base.files.x509.log-caching/x509.log');
/** 3,974 bytes: the first 2,364 are CACHING_HOOK's, then it goes on differently. */
const EVENT_CACHING = path.join(X509, 'scripts.base.files.x509.event-caching/x509.log');
/** 2,804 bytes: the first 1,797 are CACHING_HOOK's. */
const HOSTCERTS_ONLY = path.join(X509, 'scripts.policy.protocols.ssl.log-hostcerts-only/x509.log');
const ENIP = path.join(CORPUS, 'zeek/icsnpp/icsnpp-enip/tests/baseline');
/** 214,014 bytes. */
const CIP_BASIC = path.join(ENIP, 'analyzer.basic/cip.log');
/** 2,350 bytes: exactly CIP_BASIC's first 2,350 bytes. */
const CIP_MULTIPLE = path.join(ENIP, 'analyzer.multiple_service_request/cip.log');

const ALIKE = [EVENT_CACHING, CACHING_HOOK, LOG_CACHING, HOSTCERTS_ONLY, CIP_BASIC, CIP_MULTIPLE];
const DISTINCT = [EVENT_CACHING, CACHING_HOOK, HOSTCERTS_ONLY, CIP_BASIC, CIP_MULTIPLE];

function commonPrefix(a: Buffer, b: Buffer): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** The file's content as its lines rebuild it (every line of these files ends with a newline). */
function rebuild(lines: readonly SourceLine[]): Buffer {
  return Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from('\n')]));
}

function byKey(lines: readonly SourceLine[]): Map<string, SourceLine[]> {
  const map = new Map<string, SourceLine[]>();
  for (const line of lines) {
    const list = map.get(line.file.key);
    if (list) list.push(line);
    else map.set(line.file.key, [line]);
  }
  return map;
}

describe('FileSource with files that start alike', () => {
  let scratch: Scratch;
  let warnings: FileSourceWarning[];
  let errors: string[];

  async function readOnce(options: Partial<FileSourceOptions> & { paths: string[] }, stateDir = scratch.path('state')): Promise<SourceLine[]> {
    const s = await FileSource.open({ stateDir, once: true, onWarning: (w) => warnings.push(w), onFileError: (err) => errors.push(err.message), ...options });
    const got: SourceLine[] = [];
    for await (const batch of s) {
      got.push(...batch);
      commitBatch(s, batch);
    }
    await s.close();
    return got;
  }

  beforeEach(() => {
    scratch = scratchDir();
    warnings = [];
    errors = [];
  });
  afterEach(() => scratch.remove());

  it('uses real logs that share their first kilobyte and differ later, or are byte-identical', () => {
    const [event, hook, caching, hostcerts, basic, multiple] = ALIKE.map((p) => readFileSync(p));
    expect(hook.equals(caching)).toBe(true);
    expect(commonPrefix(event, hook)).toBe(2364);
    expect(commonPrefix(hostcerts, hook)).toBe(1797);
    expect(commonPrefix(event, hostcerts)).toBe(1797);
    expect(basic.subarray(0, multiple.length).equals(multiple)).toBe(true);
    expect(basic.length).toBeGreaterThan(64 * 1024);
    // The longest first: its committed offset lies beyond the end of the others.
    expect(ALIKE.map((p) => readFileSync(p).length)).toEqual([3974, 2391, 2391, 2804, 214014, 2350]);
  });

  it('reads each distinct content completely under its own key, then nothing more with the same state', async () => {
    const first = await readOnce({ paths: ALIKE });
    const keys = byKey(first);
    expect(keys.size).toBe(DISTINCT.length);
    const contents = [...keys.values()].map((lines) => rebuild(lines));
    // Each key holds one whole file, from offset 0; byte-identical files are read once.
    expect(contents.map((c) => c.toString('latin1')).sort()).toEqual(DISTINCT.map((p) => readFileSync(p, 'latin1')).sort());
    for (const lines of keys.values()) expect(lines[0].offset).toBe(0);

    const second = await readOnce({ paths: ALIKE });
    expect(second).toEqual([]);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
    const stored: Checkpoint[] = JSON.parse(readFileSync(scratch.path('state', CHECKPOINT_FILE), 'utf8')).files;
    expect(stored.map((c) => c.key).sort()).toEqual([...keys.keys()].sort());
  });

  it('gives the same keys and offsets when the same files are read again with a fresh state, in any order', async () => {
    const ids = (lines: SourceLine[]) => lines.map((l) => `${l.file.key}@${l.offset}`).sort();
    const first = await readOnce({ paths: ALIKE });
    const replay = await readOnce({ paths: [...ALIKE].reverse() }, scratch.path('fresh'));
    expect(ids(replay)).toEqual(ids(first));
  });

  it('after a run stopped midway, reads on under the keys and offsets a run through gives', async () => {
    const ids = (lines: SourceLine[]) => [...new Set(lines.map((l) => `${l.file.key}@${l.offset}`))].sort();
    const through = await readOnce({ paths: ALIKE }, scratch.path('through'));
    const stopped = await FileSource.open({ paths: ALIKE, stateDir: scratch.path('state'), once: true, batchMaxLines: 5 });
    const early = [...(await stopped.readBatch())!, ...(await stopped.readBatch())!];
    commitBatch(stopped, early);
    await stopped.close();
    const rest = await readOnce({ paths: ALIKE });
    expect(rest.length).toBeGreaterThan(0);
    expect(ids([...early, ...rest])).toEqual(ids(through));
  });

  it('reads a file from its start when it only starts like a file read before, even once that one is gone', async () => {
    const logs = scratch.path('logs');
    const earlier = path.join(logs, 'x509.log');
    const later = path.join(logs, 'x509.2026-11-24-10-00-00.log');
    mkdirSync(logs);
    writeFileSync(earlier, readFileSync(CACHING_HOOK));
    const read = await readOnce({ paths: [logs] });
    expect(rebuild(read).equals(readFileSync(CACHING_HOOK))).toBe(true);

    // Longer than what was read of x509.log, with the same first 2,364 bytes: not x509.log grown.
    unlinkSync(earlier);
    writeFileSync(later, readFileSync(EVENT_CACHING));
    const again = await readOnce({ paths: [logs] });
    expect(again[0].offset).toBe(0);
    expect(again[0].file.key).not.toBe(read[0].file.key);
    expect(rebuild(again).equals(readFileSync(EVENT_CACHING))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('knows a file by what was read of it, not only by what it held when first seen', async () => {
    const logs = scratch.path('logs');
    mkdirSync(logs);
    const live = path.join(logs, 'x509.log');
    const hook = readFileSync(CACHING_HOOK);
    // First seen before the lines where EVENT_CACHING departs from it: the same as far as was seen then.
    const firstPart = hook.lastIndexOf(10, 1796) + 1;
    writeFileSync(live, hook.subarray(0, firstPart));
    const s = await FileSource.open({ paths: [logs], stateDir: scratch.path('state'), pollIntervalMs: 0, checkpointFlushIntervalMs: 0 });
    const read = await drain(s);
    appendFileSync(live, hook.subarray(firstPart));
    read.push(...(await drain(s)));
    await s.close();
    expect(rebuild(read).equals(hook)).toBe(true);

    unlinkSync(live);
    writeFileSync(path.join(logs, 'x509.2026-11-24-10-00-00.log'), readFileSync(EVENT_CACHING));
    const again = await readOnce({ paths: [logs] });
    expect(again[0].file.key).not.toBe(read[0].file.key);
    expect(rebuild(again).equals(readFileSync(EVENT_CACHING))).toBe(true);
  });

  it('still resumes a file read before when it comes back renamed and gzipped', async () => {
    const logs = scratch.path('logs');
    mkdirSync(logs);
    const live = path.join(logs, 'cip.log');
    const content = readFileSync(CIP_BASIC);
    writeFileSync(live, content.subarray(0, readFileSync(CIP_MULTIPLE).length));
    const read = await readOnce({ paths: [logs] });
    unlinkSync(live);
    writeFileSync(path.join(logs, 'cip.2026-11-24-10-00-00.log.gz'), gzipSync(content));
    const rest = await readOnce({ paths: [logs] });
    expect(rest.every((l) => l.file.key === read[0].file.key)).toBe(true);
    expect(rest[0].offset).toBe(read[read.length - 1].end);
    expect(Buffer.concat([rebuild(read), rebuild(rest)]).equals(content)).toBe(true);
  });

  it('follows a log while another that starts like it appears beside it', async () => {
    const logs = scratch.path('logs');
    mkdirSync(logs);
    writeFileSync(path.join(logs, 'x509.log'), readFileSync(HOSTCERTS_ONLY));
    const s = await FileSource.open({ paths: [logs], stateDir: scratch.path('state'), pollIntervalMs: 0, checkpointFlushIntervalMs: 0 });
    try {
      const before = await drain(s);
      writeFileSync(path.join(logs, 'x509.2026-11-24-10-00-00.log'), readFileSync(EVENT_CACHING));
      const after = await drain(s);
      expect(rebuild(before).equals(readFileSync(HOSTCERTS_ONLY))).toBe(true);
      expect(rebuild(after).equals(readFileSync(EVENT_CACHING))).toBe(true);
      expect(after[0].file.key).not.toBe(before[0].file.key);
    } finally {
      await s.close();
    }
  });
});
