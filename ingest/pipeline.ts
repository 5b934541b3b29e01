import type { Logger } from 'pino';
import { DEAD_LETTER_INDEX } from '../common/es/names';
import type { SourceError } from '../common/errors';
import type { SourceFile, SourceLine } from './source/line';
import { deadLetterDocument } from './sink/elasticsearch/dead-letter';
import type { BatchOutcome, BulkSink } from './sink/elasticsearch/bulk';
import { BatchBody, BufferPool, type BatchItem } from './sink/elasticsearch/batch';
import { IngestStats } from './stats';
import type { IngestMetrics } from './metrics';

/**
 * What every ingest worker shares: lines are processed in order; batches are cut by the sink's limits and sent
 * concurrently, and source offsets are committed strictly in batch order, so a file's offset never passes a line
 * whose documents are not yet acknowledged (at-least-once delivery). Subclasses turn lines into documents with
 * deterministic ids, so a replay after a crash hits the same ids (exactly-once effect).
 */

/** The part of the file source a worker uses. */
export interface LineSource extends AsyncIterable<SourceLine[]> {
  /** Header lines stored with the file's checkpoint, to restore the parser when resuming mid-file. */
  resumeHeader(file: SourceFile): Buffer[];
  /** Header lines of the file's checkpoint as committed now, to restore a parser set aside while the file was idle. */
  committedHeader(file: SourceFile): Buffer[];
  commit(fileKey: string, endOffset: number, headerLines: Buffer[]): void;
}

/** Per-file state a checkpoint keeps beside the offset (Zeek's `#fields` header); none for line-oriented logs. */
export interface HeaderState {
  headerLines(): Buffer[];
}

export const NO_HEADER: HeaderState = { headerLines: () => [] };

export interface PipelineOptions {
  sensor?: string;
  log: Logger;
  metrics?: IngestMetrics;
}

interface Pending {
  batch: BatchBody;
  /** fileKey -> committed position after this batch. */
  acks: Map<string, { end: number; header: HeaderState }>;
  since: number;
}

export abstract class IngestPipeline {
  readonly stats = new IngestStats();
  /** Refreshed by the flush timer: a cheap clock for housekeeping decisions. */
  protected clock = Date.now();
  private pending: Pending;
  private nextSeq = 0;
  private nextCommit = 0;
  private readonly done = new Map<number, Array<[string, number, Buffer[]]>>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** The buffers of batches done, for the next ones: the batches in flight, the one being filled, and one spare. */
  private readonly buffers: BufferPool;
  private flushing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    protected readonly source: LineSource,
    protected readonly sink: BulkSink,
    protected readonly pipelineOptions: PipelineOptions,
  ) {
    this.buffers = new BufferPool(sink.limits.concurrency + 2);
    this.pending = this.emptyPending();
  }

  /** Turns one line into documents (`push`) and acknowledges it (`acknowledge`). */
  protected abstract processLine(line: SourceLine): void;

  /** Called on the flush timer, for housekeeping (idle parsers, timeouts). */
  protected onTick(): void {}

  /** Called just before a batch is sealed: documents that summarise the lines so far are pushed now. */
  protected beforeSeal(): void {}

  /** Called once before the first line is read. */
  protected async beforeRun(): Promise<void> {}

  /** Runs until the source ends (or forever when it follows), then drains the sink. */
  async run(): Promise<void> {
    await this.beforeRun();
    const interval = this.sink.limits.flushIntervalMs;
    this.flushTimer = setInterval(() => {
      this.clock = Date.now();
      this.onTick();
      if (this.pending.batch.items.length > 0 || this.pending.acks.size > 0 || this.unsealed().docs > 0) {
        if (Date.now() - this.pending.since >= interval) this.scheduleFlush();
      }
    }, Math.max(50, Math.floor(interval / 4)));
    try {
      for await (const lines of this.source) {
        this.throwIfFailed();
        for (const line of lines) this.processLine(line);
        const unsealed = this.unsealed();
        const { maxDocs, maxBytes } = this.sink.limits;
        if (this.pending.batch.items.length + unsealed.docs >= maxDocs || this.pending.batch.bytes + unsealed.bytes >= maxBytes) {
          await this.scheduleFlush();
          this.throwIfFailed();
        }
      }
      await this.finish();
      await this.scheduleFlush();
      this.throwIfFailed();
      await this.sink.drain();
    } finally {
      clearInterval(this.flushTimer);
    }
  }

  /** Called when the source has ended, before the last flush. */
  protected async finish(): Promise<void> {}

  /**
   * Documents waiting to be pushed by `beforeSeal`, and about how many bytes they will take: they count towards
   * the batch limits (a batch stays within them once they are in), and the timer flushes them even when no line came.
   */
  protected unsealed(): { docs: number; bytes: number } {
    return NOTHING_UNSEALED;
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

  /** The log type dead letters of a file are filed under when its lines cannot be read. */
  protected sourceLogType(file: SourceFile | undefined): string {
    return file?.nameHint ?? 'unknown';
  }

  /** A source-level failure (unreadable or corrupt file) becomes a dead letter with the reason. */
  reportSourceError(err: SourceError, file?: SourceFile, offset?: number): void {
    const logType = this.sourceLogType(file);
    const doc = deadLetterDocument(
      { stage: 'source', reason: err.message, code: err.code, logType, path: (err.meta.path as string | undefined) ?? file?.path, sensor: this.pipelineOptions.sensor },
      new Date().toISOString(),
    );
    const id = `source-${file?.key ?? 'nofile'}-${offset ?? (err.meta.offset as number | undefined) ?? 0}`;
    this.push(DEAD_LETTER_INDEX, id, JSON.stringify(doc), logType, { logType, path: file?.path });
    this.pipelineOptions.log.error({ err: err.message, path: err.meta.path ?? file?.path }, 'A log file could not be read completely; the reason is in the dead-letter index.');
  }

  /** A line that cannot be parsed: a dead letter with the reason and the original bytes. */
  protected deadLetter(line: SourceLine, logType: string, reason: string): void {
    const doc = deadLetterDocument({ stage: 'parse', reason, code: 'VIGIL_PARSE', logType, line, sensor: this.pipelineOptions.sensor }, this.ingestedNow());
    this.push(DEAD_LETTER_INDEX, `parse-${documentId(line.file.key, line.offset)}`, JSON.stringify(doc), logType, { logType, line, sensor: this.pipelineOptions.sensor });
  }

  /** The line is done once the current batch is acknowledged. */
  protected acknowledge(line: SourceLine, header: HeaderState = NO_HEADER): void {
    const ack = this.pending.acks.get(line.file.key);
    if (ack) ack.end = line.end;
    else this.pending.acks.set(line.file.key, { end: line.end, header });
  }

  /**
   * Adds a document to the batch being filled. `create` refuses an id that exists (a replay: counted as a
   * duplicate); `index` replaces it, for documents that are rewritten as they change (a mail message).
   */
  protected push(index: string, id: string, documentJson: string, logType: string, deadLetter: BatchItem['deadLetter'], op: 'create' | 'index' = 'create'): void {
    if (this.pending.batch.items.length === 0) this.pending.since = Date.now();
    this.pending.batch.add(index, id, documentJson, logType, deadLetter, op);
  }

  private emptyPending(): Pending {
    // A megabyte to start with: a trickle of lines while following does not claim a full batch each second.
    const limit = this.sink.limits.maxBytes + 64 * 1024;
    return { batch: new BatchBody(Math.min(limit, 1024 * 1024), limit, this.buffers), acks: new Map(), since: Date.now() };
  }

  private async flush(): Promise<void> {
    this.beforeSeal();
    const { batch, acks: positions } = this.pending;
    if (batch.items.length === 0 && positions.size === 0) return;
    this.pending = this.emptyPending();
    const seq = this.nextSeq++;
    // Header state is captured now: the parser moves on while the batch is in flight.
    const acks: Array<[string, number, Buffer[]]> = [];
    for (const [key, { end, header }] of positions) acks.push([key, end, header.headerLines()]);
    if (batch.items.length === 0) {
      batch.release();
      this.settle(seq, acks);
      return;
    }
    await this.sink.submit(batch, (outcome) => {
      batch.release();
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
    const metrics = this.pipelineOptions.metrics;
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
  protected ingestedNow(): string {
    const now = Date.now();
    if (now - this.ingestedCache.at >= 10) this.ingestedCache = { at: now, iso: new Date(now).toISOString() };
    return this.ingestedCache.iso;
  }
}

const NOTHING_UNSEALED = { docs: 0, bytes: 0 };

/** Deterministic id from the file identity and the line's byte offset in the decompressed content. */
export function documentId(fileKey: string, offset: number): string {
  return `${fileKey.slice(0, 22)}.${offset.toString(36)}`;
}
