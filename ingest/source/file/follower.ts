import { SourceError, UsageError } from '../../../common/errors';
import { logTypeFromFileName } from '../../parse/zeek/name-hint';
import type { SourceFile, SourceLine } from '../line';
import { AckTracker } from './acks';
import { type Checkpoint, type CheckpointError, Checkpointer, nowSeconds } from './checkpointer';
import { type Candidate, discover } from './discover';
import { type FileHead, fingerprint, generationKey, keyForHead, readHead } from './fingerprint';
import { type LineReader, type LineReaderOptions, openLineReader } from './reader';

export interface FileSourceOptions {
  /** Directories (their log files are read, see `isLogFileName`) and files (always read). */
  paths: readonly string[];
  /** Where the checkpoints are kept (`checkpoints.json`). */
  stateDir: string;
  /** Read what is there now, `.gz` archives included, then end. Otherwise follow the files as they grow and rotate. */
  once?: boolean;
  /** Also read the log files of subdirectories. */
  recursive?: boolean;
  /** File names taken from directories, instead of the built-in log name rule. */
  include?: readonly RegExp[];
  /** File names left out of directories. */
  exclude?: readonly RegExp[];
  /**
   * Follow mode: how often directories are listed again and files stat'ed (default 1000). Polling rather than
   * fs.watch: inotify and its kin miss events on network and container filesystems, coalesce or drop them under
   * load and say nothing about content, whereas a listing and a stat per interval are exact everywhere and cheap
   * for the few dozen files of a Zeek spool.
   */
  pollIntervalMs?: number;
  /** How many leading (decompressed) bytes identify a file (default 1024). */
  fingerprintBytes?: number;
  /**
   * How long an unterminated last line waits for its newline before it is handed out as it is (default 5000), and
   * how long a gzip file must be left unchanged before it is read (it may still be being written).
   */
  partialLineTimeoutMs?: number;
  /** A batch holds at most this many lines (default 1000)... */
  batchMaxLines?: number;
  /** ...and about this many bytes (default 1 MiB). */
  batchMaxBytes?: number;
  /** Bytes per read from disk (default 256 KiB). */
  readChunkBytes?: number;
  /** Longer lines are handed out in pieces of this size (default 1 MiB). */
  maxLineBytes?: number;
  /** Open file descriptors kept at most (default 256). */
  maxOpenFiles?: number;
  /** Checkpoints are written at most this often (default 1000), and on `flush()` and `close()`. */
  checkpointFlushIntervalMs?: number;
  /** Checkpoints of files gone for longer than this are forgotten (default 7 days). */
  checkpointRetentionMs?: number;
  /** A file could not be read (completely): the lines before `offset` were handed out, the rest is lost. */
  onFileError?: (error: SourceError, file?: SourceFile, offset?: number) => void;
  /** Data went away before it could be read. */
  onWarning?: (warning: FileSourceWarning) => void;
  /** A periodic checkpoint write failed; it is retried with the next change, and `close()` rejects if it still fails. */
  onCheckpointError?: (error: CheckpointError) => void;
}

export interface FileSourceWarning {
  code: 'deleted_unread' | 'truncated' | 'replaced';
  message: string;
  path: string;
  key: string;
  /** Bytes on disk that were never read (compressed bytes for a gzip file, an upper bound). */
  lostBytes: number;
}

export interface FileSourceProgress {
  /** On-disk bytes read (compressed bytes for gzip files) of `bytesTotal` known. */
  bytesRead: number;
  bytesTotal: number;
  files: number;
  /** Files with nothing left to read in this run. */
  filesDone: number;
}

export interface FileSourceLag {
  /** On-disk bytes of the files known and not read yet. */
  unreadBytes: number;
  /** Decompressed bytes handed out and not acknowledged yet. */
  uncommittedBytes: number;
  /** How long the longest-waiting unread data has been waiting, at scan resolution; 0 when caught up. */
  oldestUnreadMs: number;
}

export interface FileSourceStats {
  filesSeen: number;
  linesRead: number;
  /** Decompressed bytes handed out, newlines included. */
  bytesRead: number;
  errors: number;
  warnings: number;
  /** On-disk bytes lost before they could be read (see FileSourceWarning). */
  bytesLost: number;
}

/** One place a file's content was found in a scan. */
interface Observation {
  path: string;
  key: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  gzip: boolean;
  signature: string;
  /** Unchanged for long enough to be taken as complete (matters for gzip files, which are written in one go). */
  quiet: boolean;
}

/** What the last scans learned about a path: its stat signature and, once identified, its key. */
interface PathMemo {
  signature: string;
  since: number;
  key?: string;
  gzip?: boolean;
  /** An error for this signature was reported already. */
  failed?: boolean;
}

/** A file (a content identity) being read. */
interface Tracked {
  key: string;
  file: SourceFile;
  resumeHeader: Buffer[];
  acks: AckTracker;
  /** Where the content was seen in the last scan, best first: the reader's own file, then plain before gzip. */
  seen: Observation[];
  reader: LineReader | undefined;
  /** Size on disk (compressed for gzip) of the copy being read, as last seen. */
  size: number;
  gzip: boolean;
  path: string;
  /** The reader's file is no longer under any watched path: read it to its end through the descriptor, then stop. */
  orphan: boolean;
  /** Nothing more to read in this run. */
  ended: boolean;
  /** Decompressed length once the content is final and was read to its end; reaching it in commits marks it done. */
  finalLength: number | undefined;
  /** Its orphaned file was read to the end; the next scan tells whether it was rotated away for good. */
  drained: boolean;
  /** Scans in a row that did not see it (a rename during a listing can hide a file from one scan). */
  missedScans: number;
  /** Seen nowhere and not open: kept only until its acknowledgements are in (or it comes back). */
  absent: boolean;
  /** Reading failed on this stat signature of the file; retried when the signature changes. */
  failedSignature: string | undefined;
  grewAt: number;
  unreadSince: number | undefined;
}

const DEFAULTS = {
  pollIntervalMs: 1000,
  fingerprintBytes: 1024,
  partialLineTimeoutMs: 5000,
  batchMaxLines: 1000,
  batchMaxBytes: 1024 * 1024,
  readChunkBytes: 256 * 1024,
  maxLineBytes: 1024 * 1024,
  maxOpenFiles: 256,
  checkpointFlushIntervalMs: 1000,
  checkpointRetentionMs: 7 * 24 * 3600 * 1000,
};

type Limits = typeof DEFAULTS;

/**
 * Reads log files line by line with at-least-once delivery, as Vector's file source and Filebeat do: a file is
 * known by a fingerprint of its first bytes, not by its name, so renames, rotation and later gzipping neither lose
 * nor repeat data; offsets are checkpointed only as the consumer acknowledges lines.
 *
 * The consumer pulls batches (`for await`, or `readBatch()`); nothing is read ahead of the pull beyond one chunk per
 * file. It acknowledges lines with `commit` (cumulative) or `commitRange` (any order) once they are stored.
 */
export class FileSource implements AsyncIterable<SourceLine[]> {
  private readonly limits: Limits;
  private readonly once: boolean;
  private readonly readerOptions: LineReaderOptions;
  private readonly ignore: ReadonlySet<string>;
  private readonly tracked = new Map<string, Tracked>();
  private readonly pathMemos = new Map<string, PathMemo>();
  /** Checkpoints by fingerprint length (longest first), then fingerprint; rebuilt after fingerprints change. */
  private index: Array<[number, Map<string, Readonly<Checkpoint>>]> | undefined;
  private order: Tracked[] = [];
  private cursor = 0;
  private scanned = false;
  private nextScanAt = 0;
  private newCheckpoints = false;
  private openReaders = 0;
  private gzipOpen: Tracked | undefined;
  private stopped = false;
  private busy: Promise<unknown> | undefined;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private reportedDiscoveryErrors = new Set<string>();
  private readonly counters: FileSourceStats = { filesSeen: 0, linesRead: 0, bytesRead: 0, errors: 0, warnings: 0, bytesLost: 0 };

  private constructor(
    private readonly options: FileSourceOptions,
    private readonly checkpointer: Checkpointer,
    limits: Limits,
  ) {
    this.limits = limits;
    this.once = options.once === true;
    this.readerOptions = { chunkBytes: limits.readChunkBytes, maxLineBytes: limits.maxLineBytes };
    this.ignore = new Set([checkpointer.file, checkpointer.tempFile]);
  }

  static async open(options: FileSourceOptions): Promise<FileSource> {
    if (options.paths.length === 0) throw new UsageError('The file source needs at least one path to read.');
    const limits = { ...DEFAULTS };
    for (const name of Object.keys(DEFAULTS) as Array<keyof Limits>) {
      const value = options[name];
      if (value === undefined) continue;
      const min = name === 'pollIntervalMs' || name === 'partialLineTimeoutMs' || name === 'checkpointFlushIntervalMs' ? 0 : 1;
      if (!Number.isInteger(value) || value < min) throw new UsageError(`The file source option ${name} must be an integer of at least ${min}, not ${value}.`);
      limits[name] = value;
    }
    const checkpointer = await Checkpointer.open(options.stateDir, {
      flushIntervalMs: limits.checkpointFlushIntervalMs,
      onError: options.onCheckpointError,
    });
    return new FileSource(options, checkpointer, limits);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SourceLine[]> {
    for (;;) {
      const batch = await this.readBatch();
      if (batch === undefined) return;
      if (batch.length > 0) yield batch;
      else await this.sleep(Math.max(this.nextScanAt - Date.now(), this.once ? this.limits.pollIntervalMs : 0));
    }
  }

  /**
   * One batch of lines: scans first when the poll interval has passed. Resolves with an empty batch when nothing is
   * available now, and with undefined when the source has ended (`once` mode done, or stopped).
   */
  async readBatch(): Promise<SourceLine[] | undefined> {
    if (this.busy) throw new UsageError('FileSource.readBatch() was called while another call was running: a file source has one consumer.');
    const run = this.readBatchNow();
    this.busy = run;
    try {
      return await run;
    } finally {
      this.busy = undefined;
    }
  }

  /** Everything before `endOffset` in the file is acknowledged; `headerLines` are the header lines in effect there. */
  commit(fileKey: string, endOffset: number, headerLines: readonly Buffer[]): void {
    const t = this.tracked.get(fileKey);
    // A key is forgotten only when all its lines were acknowledged: a late commit for it carries nothing new.
    if (t && t.acks.ackThrough(endOffset, headerLines)) this.committed(t);
  }

  /** The lines in `[startOffset, endOffset)` are acknowledged, in whatever order ranges arrive. */
  commitRange(fileKey: string, startOffset: number, endOffset: number, headerLines: readonly Buffer[]): void {
    const t = this.tracked.get(fileKey);
    if (t && t.acks.ackRange(startOffset, endOffset, headerLines)) this.committed(t);
  }

  /** The header lines in effect where this source started handing out the file's lines (empty from its start). */
  resumeHeader(file: SourceFile): Buffer[] {
    return this.tracked.get(file.key)?.resumeHeader ?? [];
  }

  progress(): FileSourceProgress {
    const p: FileSourceProgress = { bytesRead: 0, bytesTotal: 0, files: 0, filesDone: 0 };
    for (const t of this.tracked.values()) {
      if (t.absent) continue;
      p.files++;
      p.bytesTotal += t.size;
      if (t.ended) {
        p.filesDone++;
        p.bytesRead += t.size;
      } else {
        p.bytesRead += Math.min(t.size, this.readPosition(t));
      }
    }
    return p;
  }

  lag(): FileSourceLag {
    const now = Date.now();
    let unreadBytes = 0;
    let uncommittedBytes = 0;
    let oldest = now;
    for (const t of this.tracked.values()) {
      uncommittedBytes += t.acks.outstanding;
      if (t.absent || t.ended) continue;
      const unread = t.size - this.readPosition(t);
      if (unread <= 0) continue;
      unreadBytes += unread;
      if (t.unreadSince !== undefined && t.unreadSince < oldest) oldest = t.unreadSince;
    }
    return { unreadBytes, uncommittedBytes, oldestUnreadMs: now - oldest };
  }

  stats(): FileSourceStats {
    return { ...this.counters };
  }

  /** Writes the checkpoints now. */
  flush(): Promise<void> {
    return this.checkpointer.flush();
  }

  /** Ends the iteration after the batch being read; acknowledgements are still taken until `close()`. */
  stop(): void {
    this.stopped = true;
    const sleeping = this.sleeping;
    this.sleeping = undefined;
    if (sleeping) {
      clearTimeout(sleeping.timer);
      sleeping.resolve();
    }
  }

  /** Stops, closes the files and writes the checkpoints. */
  async close(): Promise<void> {
    this.stop();
    await this.busy?.catch(() => undefined);
    for (const t of this.tracked.values()) await this.closeReader(t);
    await this.checkpointer.close();
  }

  private async readBatchNow(): Promise<SourceLine[] | undefined> {
    if (this.stopped) return undefined;
    if (!this.scanned || (!this.once && Date.now() >= this.nextScanAt)) {
      await this.scan();
      this.scanned = true;
      this.nextScanAt = Date.now() + this.limits.pollIntervalMs;
    }
    const batch: SourceLine[] = [];
    await this.fill(batch);
    if (batch.length === 0 && this.once && this.order.every((t) => t.ended || t.absent)) return undefined;
    return batch;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }

  // ---- reading -------------------------------------------------------------------------------------------------

  private async fill(batch: SourceLine[]): Promise<void> {
    const order = this.order;
    const n = order.length;
    const { batchMaxLines, batchMaxBytes } = this.limits;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const index = (this.cursor + i) % n;
      const t = order[index];
      if (!this.wantsRead(t)) continue;
      bytes += await this.readFrom(t, batch, batchMaxLines - batch.length, batchMaxBytes - bytes);
      if (batch.length >= batchMaxLines || bytes >= batchMaxBytes) {
        // Follow mode starts the next batch with the next file, so one busy log cannot starve the others; once
        // mode stays with a file until it is done, so files are opened (and gzip streams held) one at a time.
        this.cursor = this.once && !t.ended ? index : (index + 1) % n;
        return;
      }
    }
  }

  private wantsRead(t: Tracked): boolean {
    if (t.ended || t.absent || t.drained) return false;
    const r = t.reader;
    if (r) {
      if (t.orphan || !r.atEnd) return true;
      if (!r.gzip && t.size > r.diskPosition) return true;
      return r.buffered > 0 && this.partialLineDue(t, Date.now());
    }
    const best = t.seen[0];
    if (!best || best.signature === t.failedSignature) return false;
    if (best.gzip) return best.quiet && (this.gzipOpen === undefined || this.gzipOpen === t);
    return best.size > t.acks.issued;
  }

  private partialLineDue(t: Tracked, now: number): boolean {
    return this.once || t.orphan || now - t.grewAt >= this.limits.partialLineTimeoutMs;
  }

  private async readFrom(t: Tracked, batch: SourceLine[], maxLines: number, maxBytes: number): Promise<number> {
    if (!t.reader && !(await this.openReader(t))) return 0;
    const r = t.reader!;
    const before = batch.length;
    const bytes = await r.read(batch, { maxLines, maxBytes, flushPartial: this.partialLineDue(t, Date.now()) });
    t.acks.issue(r.offset);
    this.counters.linesRead += batch.length - before;
    this.counters.bytesRead += bytes;
    if (r.error) {
      // Not marked done: a file that was still being copied is read on from here once it changes (or next run).
      this.reportError(r.error, t.file, r.error.meta.offset as number);
      if (this.once) t.ended = true;
      else t.failedSignature = t.seen[0]?.signature ?? 'failed';
      await this.closeReader(t);
    } else if (r.atEnd && r.buffered === 0) {
      t.unreadSince = undefined;
      if (r.finished) {
        this.finish(t, r.offset);
        await this.closeReader(t);
      } else if (t.orphan) {
        t.drained = true;
        await this.closeReader(t);
      } else if (this.once) {
        t.ended = true;
        await this.closeReader(t);
      }
    }
    return bytes;
  }

  private finish(t: Tracked, length: number): void {
    t.ended = true;
    t.finalLength = length;
    this.markDoneWhenCommitted(t);
  }

  private async openReader(t: Tracked): Promise<boolean> {
    const o = t.seen[0];
    if (!o) return false;
    if (this.openReaders >= this.limits.maxOpenFiles && !(await this.closeIdleReader())) return false;
    let reader: LineReader;
    try {
      reader = await openLineReader(o.path, t.file, t.acks.issued, this.readerOptions);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.vanished(t, o);
        return false;
      }
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      const error = new SourceError(`${o.path} cannot be opened (${code}).`, err, { path: o.path, key: t.key, offset: t.acks.issued, errno: code });
      this.reportError(error, t.file, t.acks.issued);
      if (this.once) t.ended = true;
      else t.failedSignature = o.signature;
      return false;
    }
    if (reader.stats.ino !== o.ino || reader.stats.dev !== o.dev) {
      await reader.close();
      this.vanished(t, o);
      return false;
    }
    t.reader = reader;
    this.openReaders++;
    if (reader.gzip) this.gzipOpen = t;
    return true;
  }

  /** The file left its path between the scan and the open. Follow mode: the next scan finds where it went. */
  private vanished(t: Tracked, o: Observation): void {
    if (!this.once) return;
    t.ended = true;
    this.lost(t, 'deleted_unread', o.path, o.gzip ? o.size : o.size - t.acks.issued, 'was deleted before it was read to its end');
  }

  /** Makes room under maxOpenFiles by closing a plain file read as far as it is known to go. */
  private async closeIdleReader(): Promise<boolean> {
    for (const t of this.tracked.values()) {
      const r = t.reader;
      if (r && !r.gzip && !t.orphan && r.buffered === 0 && (r.atEnd || r.diskPosition >= t.size)) {
        await this.closeReader(t);
        return true;
      }
    }
    return false;
  }

  private async closeReader(t: Tracked): Promise<void> {
    const r = t.reader;
    if (!r) return;
    t.reader = undefined;
    t.orphan = false;
    this.openReaders--;
    if (this.gzipOpen === t) this.gzipOpen = undefined;
    await r.close();
  }

  private readPosition(t: Tracked): number {
    if (t.reader) return t.reader.diskPosition;
    return t.gzip ? 0 : t.acks.issued;
  }

  // ---- acknowledgements ----------------------------------------------------------------------------------------

  private committed(t: Tracked): void {
    this.checkpointer.commit(t.key, t.acks.committed, t.acks.header ?? []);
    this.markDoneWhenCommitted(t);
    if (t.absent && t.acks.settled) this.tracked.delete(t.key);
  }

  private markDoneWhenCommitted(t: Tracked): void {
    if (t.finalLength === undefined || t.acks.committed < t.finalLength) return;
    const entry = this.checkpointer.get(t.key);
    if (entry && !entry.done) this.checkpointer.update(t.key, { done: true });
  }

  // ---- scanning ------------------------------------------------------------------------------------------------

  private async scan(): Promise<void> {
    const now = Date.now();
    const found = await discover(this.options.paths, {
      recursive: this.options.recursive,
      include: this.options.include,
      exclude: this.options.exclude,
      ignore: this.ignore,
    });
    this.reportDiscoveryErrors(found.errors);
    const byKey = new Map<string, Observation[]>();
    // What each listed inode holds now: a key, or undefined for content that matches nothing yet (emptied, ...).
    const inodes = new Map<string, string | undefined>();
    const listed = new Set<string>();
    for (const candidate of found.files) {
      listed.add(candidate.path);
      const o = await this.identify(candidate, now, inodes);
      if (!o) continue;
      inodes.set(`${o.dev}:${o.ino}`, o.key);
      const list = byKey.get(o.key);
      if (list) list.push(o);
      else byKey.set(o.key, [o]);
    }
    for (const path of this.pathMemos.keys()) if (!listed.has(path)) this.pathMemos.delete(path);
    // A new file's key must be on disk before any of its lines is handed out: after a crash it must get the same.
    if (this.newCheckpoints) {
      await this.checkpointer.flush();
      this.newCheckpoints = false;
    }
    await this.reconcile(byKey, inodes, now);
    const present = new Set(byKey.keys());
    for (const t of this.tracked.values()) if (!t.absent) present.add(t.key);
    if (this.checkpointer.prune(present, this.limits.checkpointRetentionMs / 1000).length > 0) this.index = undefined;
    this.order = [...this.tracked.values()].filter((t) => !t.ended && !t.absent);
    if (this.cursor >= this.order.length) this.cursor = 0;
    if (!this.once) await this.openUnread();
  }

  /** Finds which file (key) the candidate holds; registers new files and truncations. */
  private async identify(c: Candidate, now: number, inodes: Map<string, string | undefined>): Promise<Observation | undefined> {
    const st = c.stats;
    const signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    let memo = this.pathMemos.get(c.path);
    if (!memo || memo.signature !== signature) {
      memo = { signature, since: now };
      this.pathMemos.set(c.path, memo);
    }
    const timeout = this.limits.partialLineTimeoutMs;
    const quiet = this.once || now - st.mtimeMs >= timeout || now - memo.since >= timeout;
    const seen = { path: c.path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, signature, quiet };
    if (memo.key !== undefined && this.checkpointer.get(memo.key)) return { ...seen, key: memo.key, gzip: memo.gzip === true };
    if (memo.failed) return undefined;
    if (st.size === 0) {
      inodes.set(`${st.dev}:${st.ino}`, undefined);
      return undefined;
    }
    let head: FileHead;
    try {
      head = await readHead(c.path, this.headLength());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      memo.failed = true;
      this.reportError(new SourceError(`${c.path} cannot be read (${code ?? String(err)}).`, err, { path: c.path, offset: 0, errno: code }));
      return undefined;
    }
    if (head.gzipError) {
      // Maybe still being written (gzip writes as it compresses): wait until it has been left alone for a while.
      if (!quiet) return undefined;
      if (head.bytes.length === 0) {
        memo.failed = true;
        const error = new SourceError(`${c.path} is not readable gzip data: ${head.gzipError.message}.`, head.gzipError, { path: c.path, offset: 0 });
        this.reportError(error);
        return undefined;
      }
      // What could be decompressed identifies it; the reader hands that out, then reports the damage.
    }
    if (head.bytes.length === 0) {
      // A gzip file of nothing (a rotated empty log): there is no content to identify or read yet.
      inodes.set(`${st.dev}:${st.ino}`, undefined);
      return undefined;
    }
    const key = this.keyFor(head, seen);
    if (key === undefined) {
      inodes.set(`${st.dev}:${st.ino}`, undefined);
      return undefined;
    }
    memo.key = key;
    memo.gzip = head.gzip;
    return { ...seen, key, gzip: head.gzip };
  }

  private keyFor(head: FileHead, seen: Omit<Observation, 'key' | 'gzip'>): string | undefined {
    const entry = this.match(head.bytes);
    const limit = this.limits.fingerprintBytes;
    if (entry) {
      if (!head.gzip && seen.size < this.positionOf(entry, seen)) return this.nextGeneration(entry, head, seen);
      const length = Math.min(head.bytes.length, limit);
      if (length > entry.fingerprintLength) {
        // The file has grown since it was first seen short: fingerprint more of it. The key stays.
        this.checkpointer.update(entry.key, { fingerprint: fingerprint(head.bytes, length), fingerprintLength: length });
        this.index = undefined;
      }
      return entry.key;
    }
    const first = head.bytes.subarray(0, limit);
    const key = keyForHead(first);
    // Its first bytes are all the first bytes of a known file that has grown since (a copy or a gzip of it still
    // being written): it is compared again once it is long enough.
    if (this.checkpointer.get(key)) return undefined;
    const ts = nowSeconds();
    this.checkpointer.add({ key, fingerprint: fingerprint(first, first.length), fingerprintLength: first.length, offset: 0, lastPath: seen.path, firstSeen: ts, updatedAt: ts });
    this.index = undefined;
    this.newCheckpoints = true;
    return key;
  }

  /** How far the file was read: by this process if it has it open (or had), else as far as it was acknowledged. */
  private positionOf(entry: Readonly<Checkpoint>, seen: Omit<Observation, 'key' | 'gzip'>): number {
    const t = this.tracked.get(entry.key);
    if (!t) return entry.offset;
    const r = t.reader;
    if (r && r.stats.ino === seen.ino && r.stats.dev === seen.dev) return r.diskPosition;
    const last = t.seen[0];
    if (last && last.ino === seen.ino && last.dev === seen.dev) return t.acks.issued;
    // Another copy of the same content (a partial copy): not a truncation of the file being read.
    return 0;
  }

  /** The file is shorter than what was read of it, but starts the same: what follows the cut is new content. */
  private nextGeneration(entry: Readonly<Checkpoint>, head: FileHead, seen: Omit<Observation, 'key' | 'gzip'>): string {
    const generation = (entry.generation ?? 1) + 1;
    const key = generationKey(entry.key, generation);
    const t = this.tracked.get(entry.key);
    // Reported even when nothing was lost: the content before the cut is read again, under the new key.
    const lostBytes = t ? Math.max(0, t.size - t.acks.issued) : 0;
    const was = t ? `was truncated to ${seen.size} bytes` : `is shorter (${seen.size} bytes) than its checkpoint (${entry.offset})`;
    const unread = lostBytes > 0 ? `; ${lostBytes} bytes were never read` : '';
    this.counters.bytesLost += lostBytes;
    this.warn({ code: 'truncated', message: `${seen.path} ${was}${unread}; reading starts again from its beginning.`, path: seen.path, key: entry.key, lostBytes });
    if (t) {
      t.ended = true;
      t.absent = true;
      // The reader is closed in reconcile: it holds the old generation's descriptor.
    }
    const first = head.bytes.subarray(0, this.limits.fingerprintBytes);
    const ts = nowSeconds();
    this.checkpointer.replace(entry.key, {
      key,
      fingerprint: fingerprint(first, first.length),
      fingerprintLength: first.length,
      offset: 0,
      lastPath: seen.path,
      firstSeen: ts,
      updatedAt: ts,
      generation,
    });
    this.index = undefined;
    this.newCheckpoints = true;
    return key;
  }

  /** The checkpoint whose fingerprint the content starts with; the longest fingerprint wins. */
  private match(bytes: Buffer): Readonly<Checkpoint> | undefined {
    for (const [length, byFingerprint] of this.fingerprintIndex()) {
      if (length > bytes.length) continue;
      const entry = byFingerprint.get(fingerprint(bytes, length));
      if (entry) return entry;
    }
    return undefined;
  }

  private fingerprintIndex(): Array<[number, Map<string, Readonly<Checkpoint>>]> {
    if (this.index) return this.index;
    const byLength = new Map<number, Map<string, Readonly<Checkpoint>>>();
    for (const entry of this.checkpointer.all()) {
      let map = byLength.get(entry.fingerprintLength);
      if (!map) byLength.set(entry.fingerprintLength, (map = new Map()));
      map.set(entry.fingerprint, entry);
    }
    this.index = [...byLength].sort((a, b) => b[0] - a[0]);
    return this.index;
  }

  /** Enough bytes to compare with every checkpoint, even those written with a larger fingerprint size. */
  private headLength(): number {
    const longest = this.fingerprintIndex()[0]?.[0] ?? 0;
    return Math.max(this.limits.fingerprintBytes, longest);
  }

  /** Brings the tracked files in line with what the scan found. */
  private async reconcile(byKey: Map<string, Observation[]>, inodes: Map<string, string | undefined>, now: number): Promise<void> {
    for (const [key, list] of byKey) {
      if (!this.tracked.has(key)) this.track(key, list[0], now);
    }
    for (const t of [...this.tracked.values()]) {
      const list = byKey.get(t.key) ?? [];
      let replaced = false;
      const r = t.reader;
      const last = r ? r.stats : t.seen[0];
      if (t.absent) {
        // Superseded by a truncation's new generation (or gone): its descriptor shows nothing of its own anymore.
        await this.closeReader(t);
      } else if (last) {
        const inode = `${last.dev}:${last.ino}`;
        if (inodes.has(inode) && inodes.get(inode) !== t.key) {
          // The file now holds other content: reading on would hand it out under this file's key and offsets.
          const unknown = inodes.get(inode) === undefined;
          const what = unknown ? 'was truncated or overwritten in place' : 'was overwritten in place (truncated and written again)';
          this.lost(t, unknown ? 'truncated' : 'replaced', t.path, t.size - t.acks.issued, what);
          await this.closeReader(t);
          replaced = true;
        }
      }
      list.sort((a, b) => rank(t, a) - rank(t, b));
      t.seen = list;
      const best = list[0];
      if (best) t.missedScans = 0;
      if (t.reader) {
        const same = list.find((o) => o.ino === t.reader!.stats.ino && o.dev === t.reader!.stats.dev);
        if (same) this.observe(t, same, now);
        else t.orphan = true;
      } else if (t.drained) {
        t.drained = false;
        // Renamed rather than deleted: keep following it. Otherwise the content read through the descriptor was
        // final (a gzip copy of it holds nothing more).
        const plain = list.find((o) => !o.gzip);
        if (plain) this.observe(t, plain, now);
        else this.finish(t, t.acks.issued);
      } else if (best) {
        t.absent = false;
        this.observe(t, best, now);
      } else if (!t.absent && (replaced || t.ended || ++t.missedScans >= 2)) {
        if (!t.ended && !replaced) {
          const lost = t.gzip ? t.size : t.size - t.acks.issued;
          this.lost(t, 'deleted_unread', t.path, lost, 'was deleted or moved away before it was read to its end');
        }
        t.absent = true;
      }
      if (t.failedSignature !== undefined && best && best.signature !== t.failedSignature) t.failedSignature = undefined;
      if (t.ended || t.absent || t.size <= this.readPosition(t)) t.unreadSince = undefined;
      else t.unreadSince ??= now;
      if (t.absent && t.acks.settled) this.tracked.delete(t.key);
    }
  }

  private track(key: string, o: Observation, now: number): void {
    const entry = this.checkpointer.get(key)!;
    this.counters.filesSeen++;
    this.tracked.set(key, {
      key,
      file: { path: o.path, key, nameHint: logTypeFromFileName(o.path), firstSeen: entry.firstSeen },
      resumeHeader: (entry.header ?? []).map((line) => Buffer.from(line, 'base64')),
      acks: new AckTracker(entry.offset),
      seen: [o],
      reader: undefined,
      size: o.size,
      gzip: o.gzip,
      // The checkpoint's path, so that the first observation records where the file is now.
      path: entry.lastPath,
      orphan: false,
      drained: false,
      missedScans: 0,
      ended: entry.done === true,
      finalLength: entry.done ? entry.offset : undefined,
      absent: false,
      failedSignature: undefined,
      grewAt: Math.min(now, o.mtimeMs),
      unreadSince: undefined,
    });
  }

  private observe(t: Tracked, o: Observation, now: number): void {
    if (o.size !== t.size) t.grewAt = now;
    t.size = o.size;
    t.gzip = o.gzip;
    if (o.path !== t.path) {
      t.path = o.path;
      this.checkpointer.update(t.key, { lastPath: o.path });
    }
  }

  /** Follow mode: holds a descriptor on every plain file with unread data, so a rotation that deletes it loses nothing. */
  private async openUnread(): Promise<void> {
    for (const t of this.order) {
      if (this.openReaders >= this.limits.maxOpenFiles) return;
      const best = t.seen[0];
      if (t.reader || !best || best.gzip || best.size <= t.acks.issued || best.signature === t.failedSignature) continue;
      await this.openReader(t);
    }
  }

  // ---- reporting -----------------------------------------------------------------------------------------------

  private reportError(error: SourceError, file?: SourceFile, offset?: number): void {
    this.counters.errors++;
    this.options.onFileError?.(error, file, offset);
  }

  /** Each unreadable path is reported once while it stays unreadable. */
  private reportDiscoveryErrors(errors: SourceError[]): void {
    const now = new Set<string>();
    for (const error of errors) {
      const id = `${String(error.meta.path)}:${String(error.meta.errno)}`;
      now.add(id);
      if (!this.reportedDiscoveryErrors.has(id)) this.reportError(error);
    }
    this.reportedDiscoveryErrors = now;
  }

  /** Reports data that went away unread; a file that goes away after it was read completely is no news. */
  private lost(t: Tracked, code: FileSourceWarning['code'], path: string, lostBytes: number, what: string): void {
    if (lostBytes <= 0) return;
    this.counters.bytesLost += lostBytes;
    this.warn({ code, message: `${path} ${what}; ${lostBytes} bytes were never read.`, path, key: t.key, lostBytes });
  }

  private warn(warning: FileSourceWarning): void {
    this.counters.warnings++;
    this.options.onWarning?.(warning);
  }
}

/** Preference among copies of one content: the one being read, then plain (seekable) before gzip. */
function rank(t: Tracked, o: Observation): number {
  const r = t.reader;
  if (r && r.stats.ino === o.ino && r.stats.dev === o.dev) return 0;
  return o.gzip ? 2 : 1;
}
