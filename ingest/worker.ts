import { zeekEventsIndex, type IndexRollover } from '../common/es/names';
import type { SourceFile, SourceLine } from './source/line';
import type { ParseOutcome } from './parse/zeek/record';
import { ZeekLogParser } from './parse/zeek/detect';
import { normalizeZeek } from './normalize/zeek';
import type { NormalizeContext } from './normalize/zeek/context';
import type { BulkSink } from './sink/elasticsearch/bulk';
import { documentId, IngestPipeline, type HeaderState, type LineSource, type PipelineOptions } from './pipeline';

export { documentId, type LineSource } from './pipeline';

/**
 * Wires source -> parse -> normalize -> sink for Zeek logs (batching and ordered commits are the pipeline's). Each
 * file has its own parser, which holds the file's `#fields` header; a checkpoint keeps that header beside the offset.
 */

interface Parser extends HeaderState {
  parseLine(bytes: Buffer): ParseOutcome;
}

export interface WorkerOptions extends PipelineOptions {
  rollover: IndexRollover;
  isLocal(ip: string): boolean;
  /** Zone and asset role of an address (`vigil.source.*`, `vigil.destination.*`); left out: none are written. */
  assetOf?: NormalizeContext['assetOf'];
  /** Parsers kept in memory before idle ones are set aside (default 256). */
  maxParsers?: number;
  /** How long a file must have been idle for its parser to be set aside (default 10 minutes). */
  parserIdleMs?: number;
}

export class ZeekIngestWorker extends IngestPipeline {
  private readonly parsers = new Map<string, { parser: Parser; used: number }>();
  /** Files whose parser was set aside while idle (with when): their header state comes back from the checkpoint. */
  private readonly setAside = new Map<string, number>();

  constructor(
    source: LineSource,
    sink: BulkSink,
    private readonly options: WorkerOptions,
  ) {
    super(source, sink, options);
  }

  protected processLine(line: SourceLine): void {
    const stats = this.stats;
    stats.linesRead++;
    const file = line.file;
    const parser = this.parserFor(file);
    const outcome = parser.parseLine(line.bytes);
    if (outcome.kind === 'header') {
      stats.headersSkipped++;
    } else if (outcome.kind === 'record') {
      const record = outcome.record;
      const context: NormalizeContext = {
        isLocal: this.options.isLocal,
        assetOf: this.options.assetOf,
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
      stats.logType(file.nameHint).lines++;
      this.deadLetter(line, file.nameHint, outcome.reason);
    }
    this.acknowledge(line, parser);
  }

  private parserFor(file: SourceFile): Parser {
    let entry = this.parsers.get(file.key);
    if (!entry) {
      const parser = new ZeekLogParser(file.nameHint);
      const returning = this.setAside.delete(file.key);
      const header = returning ? this.source.committedHeader(file) : this.source.resumeHeader(file);
      for (const line of header) parser.parseLine(line);
      this.parsers.set(file.key, (entry = { parser, used: this.clock }));
      if (!returning) this.stats.filesRead++;
    }
    entry.used = this.clock;
    return entry.parser;
  }

  /**
   * A worker that follows a sensor for months sees a new file at every rotation: parsers of files idle for ten
   * minutes are set aside so that memory stays bounded. Idle means everything read was committed long ago, so the
   * checkpoint holds the header state the parser had.
   */
  protected override onTick(): void {
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
}

/** Parsers kept whatever their age; beyond this many, idle ones are set aside. */
const MAX_PARSERS = 256;
const PARSER_IDLE_MS = 10 * 60 * 1000;
const SET_ASIDE_RETENTION_MS = 7 * 24 * 3600 * 1000;
