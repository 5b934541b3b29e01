import { close, createWriteStream, fstat, fsync, openSync, type WriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { SourceError } from '../../../common/errors';

// The record format belongs to the spool's readers as much as to its writer; the mail worker takes it from here.
export { decodeSpoolLine, type SpoolRecord } from './record';

/** Segment file names: receive order is name order (`syslog-<13-digit epoch ms>-<6-digit sequence>.jsonl`). */
export const SEGMENT_NAME = /^syslog-(\d{13})-(\d{6})\.jsonl$/;

function segmentName(epochMs: number, seq: number): string {
  return `syslog-${String(epochMs).padStart(13, '0')}-${String(seq).padStart(6, '0')}.jsonl`;
}

export interface SpoolOptions {
  dir: string;
  /** A segment is closed and the next one started once it holds this many bytes. */
  segmentBytes: number;
  /** The open segment is fsync'ed this often (and when it is closed). */
  fsyncIntervalMs: number;
  /** Appended bytes the write stream holds before `backedUp` says the disk is behind. */
  writeBufferBytes: number;
  /** A segment could not be created or written, or a consumed one not deleted. */
  onError: (error: SourceError) => void;
  /** `backedUp` or `failed` may have cleared, or a segment was closed (there may be something to collect). */
  onChange: () => void;
}

export interface SpoolCounters {
  /** Bytes appended in this run. */
  bytesSpooled: number;
  /** Messages whose write failed, or that were never written because the spool could not be written again before it closed. */
  messagesLost: number;
  /** Times the spool became unwritable (a segment could not be created or written); retries that fail again are not counted. */
  writeErrors: number;
  /** Segments deleted after the consumer committed them to their end. */
  segmentsDeleted: number;
}

interface Segment {
  path: string;
  bytes: number;
}

interface OpenSegment extends Segment {
  fd: number;
  stream: WriteStream;
  /** Written since the last fsync. */
  dirty: boolean;
  corked: boolean;
  syncing: Promise<void> | undefined;
}

interface Held {
  text: string;
  messages: number;
}

const fsyncFd = promisify(fsync);
const closeFd = promisify(close);
const fstatFd = promisify(fstat);

/**
 * The receiver's on-disk buffer: messages are appended to the open segment through a write stream, and segments are
 * closed at `segmentBytes` so that the consumer's progress frees space a segment at a time. A closed segment is
 * deleted once the consumer reports it committed to its end (`collect`); until then it stays, across restarts.
 *
 * `diskBytes` counts every byte appended and not deleted, whether the kernel has it yet or not, so that the bound the
 * receiver enforces holds for what will be on disk.
 *
 * When a segment cannot be created or written (disk full, directory removed), the spool is `failed`: what is appended
 * is held in memory (the receiver stops reading TCP then, so at most a read per connection) and written to a new
 * segment once one can be created again (`retry`).
 */
export class Spool {
  readonly counters: SpoolCounters = { bytesSpooled: 0, messagesLost: 0, writeErrors: 0, segmentsDeleted: 0 };
  private current: OpenSegment | undefined;
  private readonly closed: Segment[];
  private readonly closing = new Set<Promise<void>>();
  private held: Held[] = [];
  private total: number;
  private seq: number;
  private failure: SourceError | undefined;
  private collecting: Promise<void> | undefined;
  private readonly undeletable = new Set<string>();
  private readonly syncTimer: NodeJS.Timeout;

  private constructor(
    private readonly options: SpoolOptions,
    existing: Segment[],
    seq: number,
  ) {
    this.closed = existing;
    this.total = existing.reduce((sum, s) => sum + s.bytes, 0);
    this.seq = seq;
    this.syncTimer = setInterval(() => this.syncCurrent(), options.fsyncIntervalMs);
    this.syncTimer.unref();
  }

  /** Takes over the segments already in `dir` (they still have to be read) and starts a new one. */
  static async open(given: SpoolOptions): Promise<Spool> {
    // Absolute, as the file source names the files it reads: the consumer is asked about them by path.
    const options = { ...given, dir: resolve(given.dir) };
    const { dir } = options;
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new SourceError(`The syslog spool directory ${dir} cannot be created (${code(err)}).`, err, { path: dir });
    }
    const existing: Segment[] = [];
    let seq = 0;
    try {
      const names = (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
      for (const name of names) {
        const path = join(dir, name);
        existing.push({ path, bytes: (await stat(path)).size });
        seq = Math.max(seq, Number(SEGMENT_NAME.exec(name)![2]) + 1);
      }
    } catch (err) {
      throw new SourceError(`The syslog spool directory ${dir} cannot be read (${code(err)}).`, err, { path: dir });
    }
    const spool = new Spool(options, existing, seq % 1_000_000);
    if (!spool.openNext()) {
      const failure = spool.failure!;
      await spool.close();
      throw failure;
    }
    return spool;
  }

  /** Bytes of the spool on disk, or on their way there. */
  get diskBytes(): number {
    return this.total;
  }

  /** The disk is behind: the open segment's stream holds `writeBufferBytes` or more. */
  get backedUp(): boolean {
    return this.current?.stream.writableNeedDrain ?? false;
  }

  /** Why the spool cannot write now, or undefined. */
  get failed(): SourceError | undefined {
    return this.failure;
  }

  get segments(): number {
    return this.closed.length + (this.current ? 1 : 0);
  }

  /** Appends encoded spool lines holding `messages` messages; they go into one segment. */
  append(text: string, messages: number): void {
    const bytes = Buffer.byteLength(text);
    this.total += bytes;
    this.counters.bytesSpooled += bytes;
    const segment = this.current;
    if (!segment) {
      this.held.push({ text, messages });
      return;
    }
    this.write(segment, text, messages, bytes);
    if (segment.bytes >= this.options.segmentBytes) this.rotate();
  }

  /** After a failure: starts a new segment and writes what was held. Returns whether the spool works. */
  retry(): boolean {
    if (this.current) return true;
    if (!this.openNext()) return false;
    this.options.onChange();
    return true;
  }

  /**
   * Deletes the closed segments that the consumer has committed to their end. `committedBytes` answers for a path
   * with the committed offset of what the consumer reads there, or undefined when it does not know the file (yet).
   */
  collect(committedBytes: (path: string) => number | undefined): Promise<void> {
    this.collecting ??= this.collectNow(committedBytes).finally(() => {
      this.collecting = undefined;
    });
    return this.collecting;
  }

  /** Writes and fsyncs what was appended and closes the open segment. */
  async close(): Promise<void> {
    clearInterval(this.syncTimer);
    const segment = this.current;
    this.current = undefined;
    if (segment) this.track(this.finish(segment).then(() => this.dropIfEmpty(segment)));
    while (this.closing.size > 0) await Promise.all([...this.closing]);
    await this.collecting;
    const lost = this.held.reduce((sum, h) => sum + h.messages, 0);
    this.held = [];
    if (lost > 0) {
      this.counters.messagesLost += lost;
      this.options.onError(new SourceError(`${lost} received syslog messages were lost: the spool could not be written before the receiver closed.`, this.failure, { path: this.options.dir, messages: lost }));
    }
  }

  private write(segment: OpenSegment, text: string, messages: number, bytes: number): void {
    // Appends made in one tick (a TCP read, a burst of datagrams) reach the disk in one writev.
    if (!segment.corked) {
      segment.corked = true;
      segment.stream.cork();
      process.nextTick(() => {
        segment.corked = false;
        segment.stream.uncork();
      });
    }
    segment.bytes += bytes;
    segment.dirty = true;
    segment.stream.write(text, (err) => {
      if (!err) return;
      this.counters.messagesLost += messages;
      // At once, not at the stream's error event: a write made in between would never call back.
      this.writeFailed(segment, err);
    });
  }

  private rotate(): void {
    const segment = this.current!;
    this.current = undefined;
    this.track(
      this.finish(segment).then(() => {
        this.closed.push(segment);
        this.options.onChange();
      }),
    );
    this.openNext();
  }

  /** Creates the next segment; on failure the spool is failed and holds what is appended. */
  private openNext(): boolean {
    const path = join(this.options.dir, segmentName(Date.now(), this.seq));
    let fd: number;
    try {
      // Synchronous so that no append can find the spool without a segment between two; an open is microseconds.
      fd = openSync(path, 'wx', 0o640);
    } catch (err) {
      const error = new SourceError(`The syslog spool segment ${path} cannot be created (${code(err)}).`, err, { path });
      // A retry that fails again is the same episode: reported once, not at every retry.
      if (this.failure) this.failure = error;
      else this.fail(error);
      return false;
    }
    this.seq = (this.seq + 1) % 1_000_000;
    const stream = createWriteStream(path, { fd, autoClose: false, highWaterMark: this.options.writeBufferBytes });
    const segment: OpenSegment = { path, bytes: 0, fd, stream, dirty: false, corked: false, syncing: undefined };
    stream.on('error', (err) => this.writeFailed(segment, err));
    stream.on('drain', () => this.options.onChange());
    this.current = segment;
    this.failure = undefined;
    this.track(this.syncDirectory());
    const held = this.held;
    this.held = [];
    for (const h of held) this.write(segment, h.text, h.messages, Buffer.byteLength(h.text));
    if (segment.bytes >= this.options.segmentBytes) this.rotate();
    return true;
  }

  private writeFailed(segment: OpenSegment, err: Error): void {
    if (this.current !== segment) return;
    this.current = undefined;
    this.fail(new SourceError(`The syslog spool segment ${segment.path} cannot be written (${code(err)}).`, err, { path: segment.path }));
    this.track(
      this.finish(segment).then(() => {
        this.closed.push(segment);
      }),
    );
  }

  private fail(error: SourceError): void {
    this.counters.writeErrors++;
    this.failure = error;
    this.options.onError(error);
  }

  /** Ends the segment's stream, fsyncs and closes the file; its size becomes what the file holds. */
  private async finish(segment: OpenSegment): Promise<void> {
    segment.stream.end();
    let healthy = true;
    try {
      await finished(segment.stream);
    } catch {
      // Reported by the stream's error handler; the file keeps what was written before the error.
      healthy = false;
    }
    await segment.syncing;
    try {
      if (healthy) await fsyncFd(segment.fd);
      const size = (await fstatFd(segment.fd)).size;
      this.total -= segment.bytes - size;
      segment.bytes = size;
    } catch (err) {
      this.options.onError(new SourceError(`The syslog spool segment ${segment.path} cannot be synced to disk (${code(err)}).`, err, { path: segment.path }));
    } finally {
      await closeFd(segment.fd).catch(() => undefined);
    }
  }

  /** A last segment that nothing was written to would only be an empty file for the consumer to look at. */
  private async dropIfEmpty(segment: Segment): Promise<void> {
    if (segment.bytes > 0) return;
    try {
      await unlink(segment.path);
    } catch {
      // Left for the next run, which deletes empty segments without asking.
      this.closed.push(segment);
    }
  }

  private syncCurrent(): void {
    const segment = this.current;
    if (!segment || !segment.dirty || segment.syncing) return;
    segment.dirty = false;
    segment.syncing = fsyncFd(segment.fd)
      .catch((err) => this.options.onError(new SourceError(`The syslog spool segment ${segment.path} cannot be synced to disk (${code(err)}).`, err, { path: segment.path })))
      .finally(() => {
        segment.syncing = undefined;
      });
  }

  /** A new segment's directory entry must survive a crash as its content does. */
  private async syncDirectory(): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.options.dir, 'r');
      await handle.sync();
    } catch (err) {
      // Some filesystems cannot fsync a directory (EINVAL); their entries are durable by other means.
      if (code(err) !== 'EINVAL') this.options.onError(new SourceError(`The syslog spool directory ${this.options.dir} cannot be synced to disk (${code(err)}).`, err, { path: this.options.dir }));
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  private async collectNow(committedBytes: (path: string) => number | undefined): Promise<void> {
    for (const segment of [...this.closed]) {
      // An empty segment (a crash right after it was created) holds nothing to read.
      if (segment.bytes > 0) {
        const committed = committedBytes(segment.path);
        if (committed === undefined || committed < segment.bytes) continue;
      }
      try {
        await unlink(segment.path);
      } catch (err) {
        if (code(err) !== 'ENOENT') {
          if (!this.undeletable.has(segment.path)) {
            this.undeletable.add(segment.path);
            this.options.onError(new SourceError(`The consumed syslog spool segment ${segment.path} cannot be deleted (${code(err)}); it is tried again.`, err, { path: segment.path }));
          }
          continue;
        }
      }
      this.undeletable.delete(segment.path);
      this.closed.splice(this.closed.indexOf(segment), 1);
      this.total -= segment.bytes;
      this.counters.segmentsDeleted++;
    }
  }

  private track(work: Promise<void>): void {
    // The work reports its own errors: what is tracked here is only that it is still under way.
    const settled = work.catch(() => undefined).finally(() => this.closing.delete(settled));
    this.closing.add(settled);
  }
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}
