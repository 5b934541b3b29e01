import type { Stats } from 'node:fs';
import { SourceError } from '../../../common/errors';
import type { SourceFile, SourceLine } from '../line';
import { closeFd, openRead, readAt, statFd } from './fd';
import { type ContentTail, TAIL_BYTES, tailOf } from './fingerprint';
import { GunzipDecoder, hasGzipMagic, isCorruptGzip } from './gzip';

export interface LineReaderOptions {
  /** Bytes per read from disk (plain files) or per zlib output chunk (gzip). */
  chunkBytes: number;
  /** A line longer than this is handed out in pieces of this size, so one runaway line cannot exhaust memory. */
  maxLineBytes: number;
}

export interface ReadLimits {
  maxLines: number;
  maxBytes: number;
  /** Hand out a last line that has no newline: the file is finished, gone, or quiet for long enough. */
  flushPartial: boolean;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const EMPTY = Buffer.alloc(0);

/**
 * Splits a file's (decompressed) content into lines, from a byte offset, keeping exact offsets. Lines are slices of
 * the chunks read, not copies. Reads happen only inside `read()`, so at most one chunk (plus an unterminated line)
 * is held beyond what was handed out: the consumer's pace is the reading pace.
 */
export abstract class LineReader {
  abstract readonly gzip: boolean;
  /** The last read reached the end of what the file holds now. */
  atEnd = false;
  /** Nothing more will come from this reader: a gzip stream read to its end, or a failure. */
  finished = false;
  /** Why reading stopped early; every line before `offset` was handed out. */
  error: SourceError | undefined;
  /** The content ends where the data ends (gzip end or failure): an unterminated last line is complete as it is. */
  protected contentEnded = false;
  private buf: Buffer = EMPTY;
  /** The last bytes (up to TAIL_BYTES) before `buf`, copied when it was replaced: `tail()` needs them after a chunk boundary. */
  private before: Buffer = EMPTY;
  private scan = 0;
  /** Where to look for the next newline: the bytes in front of it (after `scan`) hold none. */
  private searchFrom = 0;
  private base: number;
  private closed = false;

  protected constructor(
    readonly path: string,
    readonly file: SourceFile,
    protected readonly fd: number,
    readonly stats: Stats,
    startOffset: number,
    protected readonly options: LineReaderOptions,
  ) {
    this.base = startOffset;
  }

  /** Decompressed offset just past the last line handed out. */
  get offset(): number {
    return this.base + this.scan;
  }

  /** Bytes read but not handed out yet: lines left for the next batch, or an unterminated last line. */
  get buffered(): number {
    return this.buf.length - this.scan;
  }

  /** Bytes of the file on disk consumed so far (compressed bytes for gzip), for progress. */
  abstract get diskPosition(): number;

  /**
   * The content's tail just before `offset`, taken while those bytes are still in memory, so that a checkpoint at
   * `offset` can recognise the file later; undefined when no byte before `offset` is held.
   */
  tail(): ContentTail | undefined {
    const held = this.buf.subarray(0, this.scan);
    if (held.length >= TAIL_BYTES || this.before.length === 0) return held.length === 0 ? undefined : tailOf(held, this.base);
    return tailOf(Buffer.concat([this.before, held]), this.base - this.before.length);
  }

  /** The file's first `length` bytes on disk, as the descriptor shows them now. */
  async readStart(length: number): Promise<Buffer> {
    const start = Buffer.allocUnsafe(length);
    return start.subarray(0, await readAt(this.fd, start, 0, length, 0));
  }

  /** Appends up to the limits' worth of lines to `out` (a line may overshoot `maxBytes`); returns their bytes. */
  async read(out: SourceLine[], limits: ReadLimits): Promise<number> {
    if (this.finished && this.buffered === 0) return 0;
    const file = this.file;
    const maxLineBytes = this.options.maxLineBytes;
    let buf = this.buf;
    let scan = this.scan;
    let from = this.searchFrom;
    let base = this.base;
    let lines = 0;
    let bytes = 0;
    this.atEnd = false;
    for (;;) {
      while (lines < limits.maxLines && bytes < limits.maxBytes) {
        const nl = buf.indexOf(NEWLINE, from);
        if (nl < 0) break;
        if (nl - scan > maxLineBytes) {
          out.push({ file, offset: base + scan, end: base + scan + maxLineBytes, bytes: buf.subarray(scan, scan + maxLineBytes) });
          bytes += maxLineBytes;
          lines++;
          scan = from = scan + maxLineBytes;
          continue;
        }
        const stop = nl > scan && buf[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl;
        out.push({ file, offset: base + scan, end: base + nl + 1, bytes: buf.subarray(scan, stop) });
        bytes += nl + 1 - scan;
        lines++;
        scan = from = nl + 1;
      }
      if (lines >= limits.maxLines || bytes >= limits.maxBytes) break;
      from = buf.length;
      if (buf.length - scan >= maxLineBytes) {
        out.push({ file, offset: base + scan, end: base + scan + maxLineBytes, bytes: buf.subarray(scan, scan + maxLineBytes) });
        bytes += maxLineBytes;
        lines++;
        scan += maxLineBytes;
        continue;
      }
      const more = this.finished ? undefined : await this.more(buf.subarray(scan));
      if (more === undefined) {
        this.atEnd = true;
        if (scan < buf.length && (limits.flushPartial || this.contentEnded)) {
          const stop = buf[buf.length - 1] === CARRIAGE_RETURN ? buf.length - 1 : buf.length;
          out.push({ file, offset: base + scan, end: base + buf.length, bytes: buf.subarray(scan, stop) });
          bytes += buf.length - scan;
          scan = from = buf.length;
        }
        break;
      }
      from = buf.length - scan;
      base += scan;
      this.before = lastBytes(this.before, buf.subarray(0, scan));
      buf = more;
      scan = 0;
    }
    this.buf = buf;
    this.scan = scan;
    this.searchFrom = from;
    this.base = base;
    return bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.buf = EMPTY;
    this.before = EMPTY;
    this.scan = this.searchFrom = 0;
    await closeFd(this.fd);
  }

  /** Returns a buffer that starts with `carry` followed by new bytes, or undefined when there are none now. */
  protected abstract more(carry: Buffer): Promise<Buffer | undefined>;

  protected release(): void {}

  protected fail(message: string, cause: unknown, offset: number): void {
    this.finished = true;
    this.error = new SourceError(message, cause, {
      path: this.path,
      key: this.file.key,
      offset,
      errno: (cause as NodeJS.ErrnoException | undefined)?.code,
    });
  }
}

/** A copy of the last TAIL_BYTES bytes of `before` followed by `after`. */
function lastBytes(before: Buffer, after: Buffer): Buffer {
  if (after.length >= TAIL_BYTES) return Buffer.from(after.subarray(after.length - TAIL_BYTES));
  const both = Buffer.concat([before, after]);
  return both.length > TAIL_BYTES ? Buffer.from(both.subarray(both.length - TAIL_BYTES)) : both;
}

class PlainLineReader extends LineReader {
  readonly gzip = false;
  private position: number;

  constructor(path: string, file: SourceFile, fd: number, stats: Stats, startOffset: number, options: LineReaderOptions) {
    super(path, file, fd, stats, startOffset, options);
    this.position = startOffset;
  }

  get diskPosition(): number {
    return this.position;
  }

  protected async more(carry: Buffer): Promise<Buffer | undefined> {
    const chunk = this.options.chunkBytes;
    const target = Buffer.allocUnsafe(carry.length + chunk);
    carry.copy(target);
    let n: number;
    try {
      n = await readAt(this.fd, target, carry.length, chunk, this.position);
    } catch (err) {
      this.fail(`${this.path} cannot be read at byte ${this.position} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, err, this.position - carry.length);
      return undefined;
    }
    if (n === 0) return undefined;
    this.position += n;
    const total = carry.length + n;
    // A few new lines of a live file would otherwise pin a whole chunk in memory until they are acknowledged.
    return total < chunk >> 3 ? Buffer.from(target.subarray(0, total)) : target.subarray(0, total);
  }
}

/** Input piece sizes of the successive salvage passes: each costs a decode up to the damage, so only two. */
const SALVAGE_PIECES = [256, 1];

class GzipLineReader extends LineReader {
  readonly gzip = true;
  private decoder: GunzipDecoder;
  /** How many times decoding started again in smaller pieces to salvage the data in front of a corrupt spot. */
  private salvages = 0;
  /** Decompressed bytes taken from the current decoder, skipped or handed on. */
  private decoded = 0;
  /** Decompressed offset from which bytes are handed on; those before are skipped (resuming, or salvaging). */
  private skipTo: number;

  constructor(path: string, file: SourceFile, fd: number, stats: Stats, startOffset: number, options: LineReaderOptions) {
    super(path, file, fd, stats, startOffset, options);
    this.skipTo = startOffset;
    this.decoder = new GunzipDecoder(fd, { chunkBytes: options.chunkBytes });
  }

  get diskPosition(): number {
    return this.decoder.compressedPosition;
  }

  protected async more(carry: Buffer): Promise<Buffer | undefined> {
    for (;;) {
      let chunk: Buffer | undefined;
      try {
        chunk = await this.decoder.next();
      } catch (err) {
        if (this.salvages < SALVAGE_PIECES.length && isCorruptGzip(err)) {
          // zlib drops the output of the call that failed: decode again, in smaller pieces from the piece that
          // failed, to hand out everything in front of the damage.
          const fineFrom = this.decoder.lastPieceStart;
          this.decoder.close();
          this.decoder = new GunzipDecoder(this.fd, { chunkBytes: this.options.chunkBytes, fineFrom, finePiece: SALVAGE_PIECES[this.salvages] });
          this.salvages++;
          this.skipTo = this.decoded;
          this.decoded = 0;
          continue;
        }
        const what = isCorruptGzip(err) ? 'is corrupt' : 'ends early (truncated)';
        this.contentEnded = true;
        this.fail(`The gzip data of ${this.path} ${what} after ${this.decoded} decompressed bytes: ${(err as Error).message}.`, err, this.decoded);
        return undefined;
      }
      if (chunk === undefined) {
        this.finished = true;
        this.contentEnded = true;
        return undefined;
      }
      const skip = this.skipTo - this.decoded;
      this.decoded += chunk.length;
      if (skip >= chunk.length) continue;
      const fresh = skip > 0 ? chunk.subarray(skip) : chunk;
      return carry.length === 0 ? fresh : Buffer.concat([carry, fresh]);
    }
  }

  protected override release(): void {
    this.decoder.close();
  }
}

/** Opens a file for reading lines from `offset` (decompressed), gzip or not by its content. Throws the system error. */
export async function openLineReader(path: string, file: SourceFile, offset: number, options: LineReaderOptions): Promise<LineReader> {
  const fd = await openRead(path);
  try {
    const stats = await statFd(fd);
    const magic = Buffer.alloc(2);
    const n = await readAt(fd, magic, 0, 2, 0);
    const Reader = hasGzipMagic(magic.subarray(0, n)) ? GzipLineReader : PlainLineReader;
    return new Reader(path, file, fd, stats, offset, options);
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}
