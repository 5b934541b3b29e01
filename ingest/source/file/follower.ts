import { SourceError, UsageError } from '../../../common/errors';
import { logTypeFromFileName } from '../../parse/zeek/name-hint';
import type { SourceFile, SourceLine } from '../line';
import { AckTracker } from './acks';
import { type Checkpoint, Checkpointer } from './checkpointer';
import { type FileSourceOptions, type FileSourceWarning, type Limits, resolveLimits } from './config';
import { discover } from './discover';
import { type ContentTail, fingerprint } from './fingerprint';
import { Identifier, type Observation, type Readings } from './identify';
import { type LineReader, type LineReaderOptions, openLineReader } from './reader';

export type { FileSourceOptions, FileSourceWarning } from './config';

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

/** A file (a content identity) being read. */
interface Tracked {
  key: string;
  file: SourceFile;
  resumeHeader: Buffer[];
  acks: AckTracker;
  /** The content's tail at the end of each batch handed out and not acknowledged yet, in offset order. */
  marks: ContentTail[];
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

/**
 * Reads log files line by line with at-least-once delivery, as Vector's file source and Filebeat do: a file is
 * known by a fingerprint of its first bytes and a hash of bytes further on (what was read of it), not by its name,
 * so renames, rotation and later gzipping neither lose nor repeat data, and logs that merely start alike are each
 * read; offsets are checkpointed only as the consumer acknowledges lines.
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
  private readonly identifier: Identifier;
  private order: Tracked[] = [];
  private cursor = 0;
  private scanned = false;
  private nextScanAt = 0;
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
    this.identifier = new Identifier(checkpointer, { fingerprintBytes: limits.fingerprintBytes, settleMs: limits.partialLineTimeoutMs, once: this.once });
  }

  static async open(options: FileSourceOptions): Promise<FileSource> {
    const limits = resolveLimits(options);
    const checkpointer = await Checkpointer.open(options.stateDir, {
      flushIntervalMs: limits.checkpointFlushIntervalMs,
      onError: options.onCheckpointError,
      cluster: options.cluster,
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

  /** Header lines stored with the file's checkpoint now: the block in effect at its committed offset. */
  committedHeader(file: SourceFile): Buffer[] {
    return (this.checkpointer.get(file.key)?.header ?? []).map((line) => Buffer.from(line, 'base64'));
  }

  /**
   * How far the content last seen at `path` is acknowledged (decompressed bytes), or undefined when no file read by
   * this source is there. A writer that rotates its own files (the syslog spool) deletes one once this reaches its size.
   */
  committedBytes(path: string): number | undefined {
    for (const t of this.tracked.values()) if (!t.absent && t.path === path) return t.acks.committed;
    return undefined;
  }

  /** Checkpoints found for another cluster and set aside when the source opened: that cluster and how many files they held. */
  get checkpointsSetAside(): { cluster: string; files: number } | undefined {
    return this.checkpointer.setAside;
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
    if (bytes > 0) {
      // Kept while the bytes are at hand: once acknowledged, it lets the checkpoint recognise this file (and no
      // other that merely starts like it) up to there.
      const tail = r.tail();
      if (tail) t.marks.push(tail);
    }
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

  private committed(t: Tracked): void {
    let tail: ContentTail | undefined;
    while (t.marks.length > 0 && t.marks[0].end <= t.acks.committed) tail = t.marks.shift();
    this.checkpointer.commit(t.key, t.acks.committed, t.acks.header ?? [], tail);
    this.markDoneWhenCommitted(t);
    if (t.absent && t.acks.settled) this.tracked.delete(t.key);
  }

  private markDoneWhenCommitted(t: Tracked): void {
    if (t.finalLength === undefined || t.acks.committed < t.finalLength) return;
    const entry = this.checkpointer.get(t.key);
    if (entry && !entry.done) this.checkpointer.update(t.key, { done: true });
  }

  private async scan(): Promise<void> {
    const now = Date.now();
    const found = await discover(this.options.paths, {
      recursive: this.options.recursive,
      include: this.options.include,
      exclude: this.options.exclude,
      oldestFirst: this.options.oldestFirst,
      ignore: this.ignore,
    });
    this.reportDiscoveryErrors(found.errors);
    const byKey = new Map<string, Observation[]>();
    // What each listed inode holds now: a key, or undefined for content that matches nothing yet (emptied, ...).
    const inodes = new Map<string, string | undefined>();
    const listed = new Set<string>();
    const ids = await this.identifier.identifyAll(found.files, now, this.readings());
    for (const [i, candidate] of found.files.entries()) {
      listed.add(candidate.path);
      const id = ids[i];
      if (id.kind === 'error') this.reportError(id.error);
      if (id.kind === 'unknown') inodes.set(id.inode, undefined);
      if (id.kind !== 'file') continue;
      const o = id.observation;
      if (id.truncated) this.truncated(id.truncated, o);
      inodes.set(`${o.dev}:${o.ino}`, o.key);
      const list = byKey.get(o.key);
      if (list) list.push(o);
      else byKey.set(o.key, [o]);
    }
    this.identifier.forgetOthers(listed);
    // A new file's key must be on disk before any of its lines is handed out: after a crash it must get the same.
    if (this.identifier.takeRegistered()) await this.checkpointer.flush();
    await this.reconcile(byKey, inodes, now);
    const present = new Set(byKey.keys());
    for (const t of this.tracked.values()) if (!t.absent) present.add(t.key);
    if (this.checkpointer.prune(present, this.limits.checkpointRetentionMs / 1000).length > 0) this.identifier.invalidate();
    if (this.once) {
      // Nothing changes while a once run reads: a file with nothing to read now (all of it acknowledged in an
      // earlier run) has nothing to read in this one.
      for (const t of this.tracked.values()) if (!t.ended && !t.absent && !this.wantsRead(t)) t.ended = true;
    }
    this.order = [...this.tracked.values()].filter((t) => !t.ended && !t.absent);
    if (this.cursor >= this.order.length) this.cursor = 0;
    if (!this.once) await this.openUnread();
  }

  /** Which file this process reads each key from (or last saw it at) and how far, as the scan starts. */
  private readings(): Readings {
    const byInode = new Map<string, { key: string; read: number }>();
    for (const t of this.tracked.values()) {
      const last = t.seen[0];
      if (last && !t.reader) byInode.set(`${last.dev}:${last.ino}`, { key: t.key, read: t.acks.issued });
    }
    // The descriptor read from outranks where another key was last seen.
    for (const t of this.tracked.values()) {
      const r = t.reader;
      if (r) byInode.set(`${r.stats.dev}:${r.stats.ino}`, { key: t.key, read: r.diskPosition });
    }
    return { at: (dev, ino) => byInode.get(`${dev}:${ino}`), tracks: (key) => this.tracked.has(key) };
  }

  /** A file no longer holds what was read of it (cut, or rewritten): what it holds is a new generation (new key). */
  private truncated(previous: Readonly<Checkpoint>, o: Observation): void {
    const t = this.tracked.get(previous.key);
    // Reported even when nothing was lost: the content before the cut is read again, under the new key.
    const lostBytes = t ? Math.max(0, t.size - t.acks.issued) : 0;
    const was = t
      ? `was truncated or rewritten in place (${o.size} bytes now)`
      : `no longer holds what was read of it up to byte ${previous.offset} (truncated or rewritten)`;
    const unread = lostBytes > 0 ? `; ${lostBytes} bytes were never read` : '';
    this.counters.bytesLost += lostBytes;
    this.warn({ code: 'truncated', message: `${o.path} ${was}${unread}; reading starts again from its beginning.`, path: o.path, key: previous.key, lostBytes });
    if (t) {
      // Its descriptor shows the new generation now; reconcile closes it.
      t.ended = true;
      t.absent = true;
    }
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
      const same = t.reader && list.find((o) => o.ino === t.reader!.stats.ino && o.dev === t.reader!.stats.dev);
      if (t.reader && !same && !t.orphan && !(await this.stillHolds(t))) {
        // Gone from its path after being overwritten: the descriptor shows other content, which is not this file's.
        this.lost(t, 'replaced', t.path, t.size - t.acks.issued, 'was overwritten in place, then moved away');
        await this.closeReader(t);
        replaced = true;
      }
      if (t.reader) {
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

  /** Whether the reader's file still starts as the file did (plain files; gzip files are not rewritten). */
  private async stillHolds(t: Tracked): Promise<boolean> {
    const entry = this.checkpointer.get(t.key);
    if (!entry || !t.reader) return false;
    if (t.reader.gzip) return true;
    let start: Buffer;
    try {
      start = await t.reader.readStart(entry.fingerprintLength);
    } catch {
      // Unreadable now: reading on reports the error with its offset.
      return true;
    }
    return start.length === entry.fingerprintLength && fingerprint(start, start.length) === entry.fingerprint;
  }

  private track(key: string, o: Observation, now: number): void {
    const entry = this.checkpointer.get(key)!;
    this.counters.filesSeen++;
    this.tracked.set(key, {
      key,
      file: { path: o.path, key, nameHint: logTypeFromFileName(o.path), firstSeen: entry.firstSeen },
      resumeHeader: (entry.header ?? []).map((line) => Buffer.from(line, 'base64')),
      acks: new AckTracker(entry.offset),
      marks: [],
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
