import { statSync } from 'node:fs';
import path from 'node:path';
import { mailEventsIndex, mailMessagesIndex, type IndexRollover } from '../common/es/names';
import type { SourceFile, SourceLine } from './source/line';
import { parseMailLine } from './parse/mail';
import { mailEventDocument } from './normalize/mail/event';
import { MessageAssembler, type AssemblerOptions } from './reconstruct/mail/assembler';
import { toDocument, type Message } from './reconstruct/mail/message';
import { decodeSpoolLine } from './source/syslog/record';
import type { BulkSink } from './sink/elasticsearch/bulk';
import { documentId, IngestPipeline, type LineSource, type PipelineOptions } from './pipeline';

/**
 * Wires source -> parse -> normalize -> sink for mail logs, with the message reconstruction beside it: every line
 * becomes an event document (`create`, like Zeek events), and the message it belongs to is written again
 * (`index`) in the same batch, so a batch acknowledged means both the lines and their messages are stored, and a
 * checkpoint never runs ahead of the messages a restart reads back.
 */

export interface MailWorkerOptions extends PipelineOptions, AssemblerOptions {
  rollover: IndexRollover;
  /** Zone of timestamps written without one. */
  timeZone: string;
  /** Files under this directory are the syslog receiver's buffer: JSON records of what was received. */
  spoolDir?: string;
  /** Messages a previous run left open (read back from Elasticsearch before the first line). */
  restore?: () => AsyncIterable<Message>;
}

/** About what one message document takes in a bulk request (a few recipients, a few lines linked). */
const MESSAGE_DOCUMENT_BYTES = 1500;
/** Messages timed out per check at most: a log that resumes after a long silence closes its backlog over a few batches. */
const EXPIRE_AT_ONCE = 1000;
/** Message timeouts are checked this often (wall clock) at most: a scan costs little, but not nothing. */
const EXPIRE_EVERY_MS = 1000;

export class MailIngestWorker extends IngestPipeline {
  readonly assembler: MessageAssembler;
  /**
   * Per file: a moment its lines were written before (its modification time, read again every minute as a
   * followed file grows), for dates without a year.
   */
  private readonly references = new Map<string, { mtime: number; at: number }>();
  private lastExpire = 0;
  private restored = 0;

  constructor(
    source: LineSource,
    sink: BulkSink,
    private readonly options: MailWorkerOptions,
  ) {
    super(source, sink, options);
    this.assembler = new MessageAssembler(options);
  }

  /** Messages read back from Elasticsearch at start. */
  get restoredMessages(): number {
    return this.restored;
  }

  protected override async beforeRun(): Promise<void> {
    if (!this.options.restore) return;
    for await (const m of this.options.restore()) {
      this.assembler.restore(m);
      this.restored++;
    }
    if (this.restored) this.options.log.info({ messages: this.restored }, 'Messages left open by the previous run were read back.');
  }

  protected override sourceLogType(): string {
    return 'mail';
  }

  protected processLine(line: SourceLine): void {
    const stats = this.stats;
    stats.linesRead++;
    const file = line.file;
    let text = line.bytes.toString('utf8');
    let reference: number;
    let peer: string | undefined;
    if (this.isSpool(file)) {
      const record = decodeSpoolLine(text);
      if (!record) {
        stats.logType('mail').lines++;
        this.deadLetter(line, 'mail', 'not a record of the syslog buffer');
        this.acknowledge(line);
        return;
      }
      text = record.msg;
      // To the next full hour: the zone's calendar is then worked out once an hour, not for every received line,
      // and a yearless date is still placed within a day of when it was received.
      reference = Math.ceil(record.t / HOUR_MS) * HOUR_MS;
      peer = record.peer;
    } else {
      reference = this.referenceOf(file);
    }
    if (text.trim() === '') {
      stats.headersSkipped++;
      this.acknowledge(line);
      return;
    }
    const outcome = parseMailLine(text, { reference, timeZone: this.options.timeZone });
    if (outcome.kind === 'error') {
      stats.logType('mail').lines++;
      this.deadLetter(line, 'mail', outcome.reason);
    } else {
      const event = outcome.kind === 'event' ? outcome.event : undefined;
      const logType = event ? `mail.${event.mta}` : 'mail.raw';
      const doc = mailEventDocument(text, outcome.header, event, {
        ingested: this.ingestedNow(),
        sensor: this.options.sensor,
        filePath: file.path,
        offset: line.offset,
        syslogPeer: peer,
      });
      const id = documentId(file.key, line.offset);
      stats.logType(logType).lines++;
      this.push(mailEventsIndex(doc['@timestamp'] as string, this.options.rollover), id, JSON.stringify(doc), logType, { logType, line, sensor: this.options.sensor });
      if (event) this.assembler.add(outcome.header, event, id);
    }
    this.acknowledge(line);
  }

  protected override unsealed(): { docs: number; bytes: number } {
    const docs = this.assembler.dirtyCount;
    return { docs, bytes: docs * MESSAGE_DOCUMENT_BYTES };
  }

  /** The messages changed by the lines of this batch go into it, so they are stored when its lines are. */
  protected override beforeSeal(): void {
    const now = Date.now();
    if (now - this.lastExpire >= EXPIRE_EVERY_MS) {
      this.lastExpire = now;
      this.assembler.expire(EXPIRE_AT_ONCE);
    }
    const ingested = this.ingestedNow();
    for (const m of this.assembler.takeDirty()) {
      const doc = toDocument(m, { ingested, sensor: this.options.sensor });
      const index = mailMessagesIndex(doc['@timestamp'] as string, this.options.rollover);
      this.push(index, m.id, JSON.stringify(doc), 'mail.message', { logType: 'mail.message', sensor: this.options.sensor }, 'index');
    }
  }

  private isSpool(file: SourceFile): boolean {
    const dir = this.options.spoolDir;
    return dir !== undefined && path.dirname(file.path) === dir;
  }

  private referenceOf(file: SourceFile): number {
    const cached = this.references.get(file.key);
    if (cached === undefined) this.stats.filesRead++;
    const now = Date.now();
    if (cached && now - cached.at < REFERENCE_TTL_MS) return cached.mtime;
    let mtime: number;
    try {
      mtime = statSync(file.path).mtimeMs;
    } catch {
      // Rotated away since it was opened: what was read of it was written before now.
      mtime = cached?.mtime ?? now;
    }
    this.references.set(file.key, { mtime, at: now });
    return mtime;
  }
}

const HOUR_MS = 3600_000;

/** A followed file's modification time is read again this often; yearless dates allow a day of slack past it. */
const REFERENCE_TTL_MS = 60_000;
