import type { Logger } from 'pino';
import { DEAD_LETTER_INDEX, zeekEventsIndex, type IndexRollover } from '../common/es/names';
import type { SourceError } from '../common/errors';
import type { SourceFile, SourceLine } from './source/line';
import type { ParseOutcome } from './parse/zeek/record';
import { ZeekLogParser } from './parse/zeek/detect';
import { normalizeZeek } from './normalize/zeek';
import type { NormalizeContext } from './normalize/zeek/context';
import { deadLetterDocument } from './sink/elasticsearch/dead-letter';
import type { BatchOutcome, BulkSink } from './sink/elasticsearch/bulk';
import { BatchBody, type BatchItem } from './sink/elasticsearch/batch';
import { IngestStats } from './stats';
import type { IngestMetrics } from './metrics';

/**
 * Wires source -> parse -> normalize -> sink for Zeek logs. Lines are processed in order; batches are cut by the
 * sink's limits and sent concurrently, and source offsets are committed strictly in batch order, so a file's offset
 * never passes a line whose document is not yet acknowledged (at-least-once delivery). Document ids come from the
 * file's identity and the line's offset, so a replay after a crash hits the same ids (exactly-once effect).
 */

/** The part of the file source the worker uses. */
export interface LineSource extends AsyncIterable<SourceLine[]> {
  /** Header lines stored with the file's checkpoint, to restore the parser when resuming mid-file. */
  resumeHeader(file: SourceFile): Buffer[];
  /** Header lines of the file's checkpoint as committed now, to restore a parser set aside while the file was idle. */
  committedHeader(file: SourceFile): Buffer[];
  commit(fileKey: string, endOffset: number, headerLines: Buffer[]): void;
}

interface Parser {
  parseLine(bytes: Buffer): ParseOutcome;
  headerLines(): Buffer[];
}

export interface WorkerOptions {
  rollover: IndexRollover;
  isLocal(ip: string): boolean;
  sensor?: string;
  log: Logger;
  metrics?: IngestMetrics;
  /** Parsers kept in memory before idle ones are set aside (default 256). */
  maxParsers?: number;
  /** How long a file must have been idle for its parser to be set aside (default 10 minutes). */
  parserIdleMs?: number;
}

interface Pending {
  batch: BatchBody;
  /** fileKey -> committed position after this batch. */
  acks: Map<string, { end: number; parser: Parser }>;
  since: number;
}

export class ZeekIngestWorker {
  readonly stats = new IngestStats();
  private readonly parsers = new Map<string, { parser: Parser; used: number }>();
  /** Files whose parser was set aside while idle (with when): their header state comes back from the checkpoint. */
  private readonly setAside = new Map<string, number>();
  private clock = Date.now();
  private pending: Pending;
  private nextSeq = 0;
  private nextCommit = 0;
  private readonly done = new Map<number, Array<[string, number, Buffer[]]>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly source: LineSource,
    private readonly sink: BulkSink,
    private readonly options: WorkerOptions,
  ) {
    this.pending = this.emptyPending();
  }

  /** Runs until the source ends (or forever when it follows), then drains the sink. */
  async run(): Promise<void> {
    const interval = this.sink.limits.flushIntervalMs;
    this.flushTimer = setInterval(() => {
      this.clock = Date.now();
      this.setAsideIdleParsers();
      if (this.pending.batch.items.length > 0 || this.pending.acks.size > 0) {
        if (Date.now() - this.pending.since >= interval) this.scheduleFlush();
      }
    }, Math.max(50, Math.floor(interval / 4)));
    try {
      for await (const lines of this.source) {
        this.throwIfFailed();
        for (const line of lines) this.processLine(line);
        if (this.pending.batch.items.length >= this.sink.limits.maxDocs || this.pending.batch.bytes >= this.sink.limits.maxBytes) {
          await this.scheduleFlush();
          this.throwIfFailed();
        }
      }
      await this.scheduleFlush();
      this.throwIfFailed();
      await this.sink.drain();
    } finally {
      clearInterval(this.flushTimer);
    }
  }

  /**
   * Flushes run one after another, whether the size limit or the timer asked. A failure (the sink gave up: bad
   * credentials, missing privileges) is kept and rethrown by the read loop, never left as an unhandled rejection.
   */
  private scheduleFlush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flush()).catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
    return this.flushing;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** A source-level failure (unreadable or corrupt file) becomes a dead letter with the reason. */
  reportSourceError(err: SourceError, file?: SourceFile, offset?: number): void {
    const logType = file?.nameHint ?? 'unknown';
    const doc = deadLetterDocument(
      { stage: 'source', reason: err.message, code: err.code, logType, path: (err.meta.path as string | undefined) ?? file?.path, sensor: this.options.sensor },
      new Date().toISOString(),
    );
    const id = `source-${file?.key ?? 'nofile'}-${offset ?? (err.meta.offset as number | undefined) ?? 0}`;
    this.push(DEAD_LETTER_INDEX, id, JSON.stringify(doc), logType, { logType, path: file?.path });
    this.options.log.error({ err: err.message, path: err.meta.path ?? file?.path }, 'A log file could not be read completely; the reason is in the dead-letter index.');
  }

  private processLine(line: SourceLine): void {
    const stats = this.stats;
    stats.linesRead++;
    const file = line.file;
    let entry = this.parsers.get(file.key);
    if (!entry) {
      const parser = new ZeekLogParser(file.nameHint);
      const returning = this.setAside.delete(file.key);
      const header = returning ? this.source.committedHeader(file) : this.source.resumeHeader(file);
      for (const line of header) parser.parseLine(line);
      this.parsers.set(file.key, (entry = { parser, used: this.clock }));
      if (!returning) stats.filesRead++;
    }
    entry.used = this.clock;
    const parser = entry.parser;
    const outcome = parser.parseLine(line.bytes);
    if (outcome.kind === 'header') {
      stats.headersSkipped++;
    } else if (outcome.kind === 'record') {
      const record = outcome.record;
      const context: NormalizeContext = {
        isLocal: this.options.isLocal,
        sensor: this.options.sensor,
        fallbackTs: record.openTs ?? file.firstSeen,
        ingested: this.ingestedNow(),
      };
      const doc = normalizeZeek(record, context);
      // Where the record came from: the first path the file was read under, and the line's byte offset in it.
      doc.log = { ...(doc.log as object | undefined), file: { path: file.path }, offset: line.offset };
      const index = zeekEventsIndex(doc['@timestamp'], this.options.rollover);
      stats.logType(record.path).lines++;
      this.push(index, documentId(file.key, line.offset), JSON.stringify(doc), record.path, { logType: record.path, line, sensor: this.options.sensor });
    } else {
      const logType = file.nameHint;
      stats.logType(logType).lines++;
      const doc = deadLetterDocument(
        { stage: 'parse', reason: outcome.reason, code: 'VIGIL_PARSE', logType, line, sensor: this.options.sensor },
        this.ingestedNow(),
      );
      this.push(DEAD_LETTER_INDEX, `parse-${documentId(file.key, line.offset)}`, JSON.stringify(doc), logType, { logType, line, sensor: this.options.sensor });
    }
    const ack = this.pending.acks.get(file.key);
    if (ack) ack.end = line.end;
    else this.pending.acks.set(file.key, { end: line.end, parser });
  }

  /**
   * A worker that follows a sensor for months sees a new file at every rotation: parsers of files idle for ten
   * minutes are set aside so that memory stays bounded. Idle means everything read was committed long ago, so the
   * checkpoint holds the header state the parser had.
   */
  private setAsideIdleParsers(): void {
    const { maxParsers = MAX_PARSERS, parserIdleMs = PARSER_IDLE_MS } = this.options;
    if (this.parsers.size > maxParsers) {
      for (const [key, { used }] of this.parsers) {
        if (this.clock - used < parserIdleMs) continue;
        this.parsers.delete(key);
        this.setAside.set(key, this.clock);
      }
    }
    // A file idle for a week has been rotated away; the source forgets its checkpoint then too.
    for (const [key, since] of this.setAside) if (this.clock - since > SET_ASIDE_RETENTION_MS) this.setAside.delete(key);
  }

  private push(index: string, id: string, documentJson: string, logType: string, deadLetter: BatchItem['deadLetter']): void {
    if (this.pending.batch.items.length === 0) this.pending.since = Date.now();
    this.pending.batch.add(index, id, documentJson, logType, deadLetter);
  }

  private emptyPending(): Pending {
    // A megabyte to start with: a trickle of lines while following does not claim a full batch each second.
    return { batch: new BatchBody(Math.min(this.sink.limits.maxBytes + 64 * 1024, 1024 * 1024)), acks: new Map(), since: Date.now() };
  }

  private async flush(): Promise<void> {
    const { batch, acks: positions } = this.pending;
    if (batch.items.length === 0 && positions.size === 0) return;
    this.pending = this.emptyPending();
    const seq = this.nextSeq++;
    // Header state is captured now: the parser moves on while the batch is in flight.
    const acks: Array<[string, number, Buffer[]]> = [];
    for (const [key, { end, parser }] of positions) acks.push([key, end, parser.headerLines()]);
    if (batch.items.length === 0) {
      this.settle(seq, acks);
      return;
    }
    await this.sink.submit(batch, (outcome) => {
      this.record(outcome);
      this.settle(seq, acks);
    });
  }

  /** Commits offsets in batch order, whatever order the batches finished in. */
  private settle(seq: number, acks: Array<[string, number, Buffer[]]>): void {
    this.done.set(seq, acks);
    while (this.done.has(this.nextCommit)) {
      for (const [key, end, header] of this.done.get(this.nextCommit)!) this.source.commit(key, end, header);
      this.done.delete(this.nextCommit);
      this.nextCommit++;
    }
  }

  private record(outcome: BatchOutcome): void {
    const { stats } = this;
    const metrics = this.options.metrics;
    stats.documentsIndexed += outcome.created;
    stats.duplicates += outcome.duplicates;
    stats.deadLettered += outcome.deadLettered;
    stats.retries += outcome.retries;
    metrics?.bulkLatency.observe(outcome.latencySeconds);
    if (outcome.retries) metrics?.retries.inc(outcome.retries);
    for (const [logType, [created, duplicates, rejected]] of outcome.byLogType) {
      const s = stats.logType(logType);
      s.indexed += created;
      s.duplicates += duplicates;
      s.deadLettered += rejected;
      metrics?.linesIn.inc({ log_type: logType }, created + duplicates + rejected);
      if (created) metrics?.indexed.inc({ log_type: logType }, created);
      if (duplicates) metrics?.duplicates.inc({ log_type: logType }, duplicates);
      if (rejected) metrics?.deadLettered.inc({ log_type: logType }, rejected);
    }
  }

  private ingestedCache = { at: 0, iso: '' };
  /** `event.ingested` at millisecond precision costs a Date per line; refresh it at most every 10 ms. */
  private ingestedNow(): string {
    const now = Date.now();
    if (now - this.ingestedCache.at >= 10) this.ingestedCache = { at: now, iso: new Date(now).toISOString() };
    return this.ingestedCache.iso;
  }
}

/** Parsers kept whatever their age; beyond this many, idle ones are set aside. */
const MAX_PARSERS = 256;
const PARSER_IDLE_MS = 10 * 60 * 1000;
const SET_ASIDE_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Deterministic id from the file identity and the line's byte offset in the decompressed content. */
export function documentId(fileKey: string, offset: number): string {
  return `${fileKey.slice(0, 22)}.${offset.toString(36)}`;
}
