import { join } from 'node:path';
import { silentLogger } from '../common/log';
import { readLog, ZEEK_CORPUS } from '../test/support/corpus';
import { BulkSink, BulkFatalError, type BulkTransport } from './sink/elasticsearch/bulk';
import type { SourceFile, SourceLine } from './source/line';
import { ZeekIngestWorker, type LineSource } from './worker';

/** The lines of a real log as a source hands them out, in batches, recording what the worker commits. */
class ArraySource implements LineSource {
  readonly commits: Array<[string, number]> = [];
  readonly committedHeaders = new Map<string, Buffer[]>();
  constructor(
    private readonly batches: SourceLine[][],
    private readonly pauseMs = 0,
  ) {}
  async *[Symbol.asyncIterator](): AsyncGenerator<SourceLine[]> {
    for (const batch of this.batches) {
      yield batch;
      if (this.pauseMs) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }
  resumeHeader(): Buffer[] {
    return [];
  }
  committedHeader(file: SourceFile): Buffer[] {
    return this.committedHeaders.get(file.key) ?? [];
  }
  commit(fileKey: string, endOffset: number, headerLines: Buffer[]): void {
    this.commits.push([fileKey, endOffset]);
    this.committedHeaders.set(fileKey, headerLines);
  }
}

function linesOf(path: string, key: string): SourceLine[] {
  const content = readLog(path);
  const file: SourceFile = { path, key, nameHint: 'dns', firstSeen: 0 };
  const lines: SourceLine[] = [];
  for (let start = 0; start < content.length; ) {
    let end = content.indexOf(10, start);
    if (end < 0) end = content.length;
    lines.push({ file, offset: start, end: end + 1, bytes: content.subarray(start, end) });
    start = end + 1;
  }
  return lines;
}

function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A `_bulk` that answers after a random delay, so batches finish out of order. */
function slowBulk(): BulkTransport {
  return {
    async request(params) {
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      const n = (params.bulkBody!.toString().match(/\n/g) ?? []).length / 2;
      return { errors: false, items: Array.from({ length: n }, () => ({ create: { status: 201 } })) };
    },
  };
}

const DNS = join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'dns.log.gz');

describe('ZeekIngestWorker', () => {
  it('commits offsets in order, even when batches finish out of order, up to the end of the file', async () => {
    const lines = linesOf(DNS, 'dnskey').slice(0, 3000);
    const source = new ArraySource(batches(lines, 100));
    const sink = new BulkSink(slowBulk(), { maxDocs: 200, maxBytes: 1e7, concurrency: 4, flushIntervalMs: 1000 }, { initialMs: 1, maxMs: 1 }, silentLogger);
    const worker = new ZeekIngestWorker(source, sink, { rollover: 'daily', isLocal: () => false, log: silentLogger });
    await worker.run();

    const offsets = source.commits.map(([, end]) => end);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets[offsets.length - 1]).toBe(lines[lines.length - 1].end);
    const data = lines.filter((l) => l.bytes.length > 0 && l.bytes[0] !== 0x23).length;
    expect(worker.stats.documentsIndexed).toBe(data);
    expect(worker.stats.linesRead).toBe(lines.length);
  });

  it('sets idle parsers aside and restores their header state from the checkpoint when their file grows again', async () => {
    const lines = linesOf(DNS, 'dnskey').slice(0, 600);
    // Pauses between batches longer than the idle limit: every batch finds its parser set aside.
    const source = new ArraySource(batches(lines, 100), 120);
    const sink = new BulkSink(slowBulk(), { maxDocs: 50, maxBytes: 1e7, concurrency: 2, flushIntervalMs: 20 }, { initialMs: 1, maxMs: 1 }, silentLogger);
    const worker = new ZeekIngestWorker(source, sink, { rollover: 'daily', isLocal: () => false, log: silentLogger, maxParsers: 0, parserIdleMs: 30 });
    await worker.run();
    const data = lines.filter((l) => l.bytes.length > 0 && l.bytes[0] !== 0x23).length;
    expect(worker.stats.deadLettered).toBe(0);
    expect(worker.stats.documentsIndexed).toBe(data);
    expect(worker.stats.filesRead).toBe(1);
  });

  it('stops with the sink error and commits nothing it did not deliver', async () => {
    const lines = linesOf(DNS, 'dnskey').slice(0, 1000);
    const source = new ArraySource(batches(lines, 100));
    const refusing: BulkTransport = {
      async request() {
        throw Object.assign(new Error('unable to authenticate user [vigil_ingest]'), { meta: { statusCode: 401 } });
      },
    };
    const sink = new BulkSink(refusing, { maxDocs: 200, maxBytes: 1e7, concurrency: 2, flushIntervalMs: 1000 }, { initialMs: 1, maxMs: 1 }, silentLogger);
    const worker = new ZeekIngestWorker(source, sink, { rollover: 'daily', isLocal: () => false, log: silentLogger });
    await expect(worker.run()).rejects.toThrow(BulkFatalError);
    expect(source.commits).toEqual([]);
  });
});
