import { SourceError } from '../../../common/errors';
import { type Checkpoint, type Checkpointer, nowSeconds } from './checkpointer';
import type { Candidate } from './discover';
import { type FileHead, fingerprint, generationKey, keyForHead, readHead } from './fingerprint';

/** One place a file's content was found in a scan. */
export interface Observation {
  path: string;
  key: string;
  dev: number;
  ino: number;
  /** On disk (compressed for gzip). */
  size: number;
  mtimeMs: number;
  gzip: boolean;
  /** Changes whenever the file may have: inode, size, modification or change time. */
  signature: string;
  /** Unchanged for long enough to be taken as complete (matters for gzip files, which are written in one go). */
  quiet: boolean;
}

export type Identification =
  /** Known content, or new content now registered. `truncated`: the checkpoint this content replaced. */
  | { kind: 'file'; observation: Observation; truncated?: Readonly<Checkpoint> }
  /** Content that matches nothing yet: an emptied file, or the first bytes of a known file that is still growing. */
  | { kind: 'unknown'; inode: string }
  /** Nothing to say now: gone meanwhile, a gzip file maybe still being written, or a failure reported already. */
  | { kind: 'skip' }
  | { kind: 'error'; error: SourceError };

export interface IdentifierOptions {
  fingerprintBytes: number;
  /** How long a file must be left unchanged to be taken as complete. */
  settleMs: number;
  /** Everything is complete: nothing is being written while a `once` run reads. */
  once: boolean;
}

/** How far this process has read the copy of `key` at (dev, ino); undefined when it is not reading `key` at all. */
export type ReadPosition = (key: string, dev: number, ino: number) => number | undefined;

/** What the last scans learned about a path: its stat signature and, once identified, its key. */
interface PathMemo {
  signature: string;
  since: number;
  key?: string;
  gzip?: boolean;
  /** A failure for this signature was reported already. */
  failed?: boolean;
}

/**
 * Tells which file (content identity, checkpoint key) a path holds, by comparing its first bytes with the
 * checkpoints' fingerprints, and registers new files. Paths whose stat has not changed are not read again.
 */
export class Identifier {
  private readonly memos = new Map<string, PathMemo>();
  /** Checkpoints by fingerprint length (longest first), then fingerprint; rebuilt after fingerprints change. */
  private index: Array<[number, Map<string, Readonly<Checkpoint>>]> | undefined;
  private registered = false;

  constructor(
    private readonly checkpointer: Checkpointer,
    private readonly options: IdentifierOptions,
  ) {}

  async identify(c: Candidate, now: number, position: ReadPosition): Promise<Identification> {
    const st = c.stats;
    const signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const inode = `${st.dev}:${st.ino}`;
    let memo = this.memos.get(c.path);
    if (!memo || memo.signature !== signature) {
      memo = { signature, since: now };
      this.memos.set(c.path, memo);
    }
    const settle = this.options.settleMs;
    const quiet = this.options.once || now - st.mtimeMs >= settle || now - memo.since >= settle;
    const seen = { path: c.path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, signature, quiet };
    if (memo.key !== undefined && this.checkpointer.get(memo.key)) {
      return { kind: 'file', observation: { ...seen, key: memo.key, gzip: memo.gzip === true } };
    }
    if (memo.failed) return { kind: 'skip' };
    if (st.size === 0) return { kind: 'unknown', inode };
    let head: FileHead;
    try {
      head = await readHead(c.path, this.headLength());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'skip' };
      memo.failed = true;
      return { kind: 'error', error: new SourceError(`${c.path} cannot be read (${code ?? String(err)}).`, err, { path: c.path, offset: 0, errno: code }) };
    }
    if (head.gzipError) {
      // Maybe still being written (gzip writes as it compresses): wait until it has been left alone for a while.
      if (!quiet) return { kind: 'skip' };
      if (head.bytes.length === 0) {
        memo.failed = true;
        const error = new SourceError(`${c.path} is not readable gzip data: ${head.gzipError.message}.`, head.gzipError, { path: c.path, offset: 0 });
        return { kind: 'error', error };
      }
      // What could be decompressed identifies it; the reader hands that out, then reports the damage.
    }
    // A gzip file of nothing (a rotated empty log) has no content to identify yet.
    if (head.bytes.length === 0) return { kind: 'unknown', inode };
    const found = this.keyFor(head, seen, position);
    if (!found) return { kind: 'unknown', inode };
    memo.key = found.key;
    memo.gzip = head.gzip;
    return { kind: 'file', observation: { ...seen, key: found.key, gzip: head.gzip }, truncated: found.truncated };
  }

  /** Forgets what it knew of paths that are no longer listed. */
  forgetOthers(listed: ReadonlySet<string>): void {
    for (const path of this.memos.keys()) if (!listed.has(path)) this.memos.delete(path);
  }

  /** Whether checkpoints were registered since the last call: they must be on disk before their lines go out. */
  takeRegistered(): boolean {
    const registered = this.registered;
    this.registered = false;
    return registered;
  }

  /** Checkpoints were removed elsewhere (pruned). */
  invalidate(): void {
    this.index = undefined;
  }

  private keyFor(head: FileHead, seen: Omit<Observation, 'key' | 'gzip'>, position: ReadPosition): { key: string; truncated?: Readonly<Checkpoint> } | undefined {
    const limit = this.options.fingerprintBytes;
    const first = head.bytes.subarray(0, limit);
    const entry = this.match(head.bytes);
    if (entry) {
      const read = position(entry.key, seen.dev, seen.ino) ?? entry.offset;
      if (!head.gzip && seen.size < read) return { key: this.nextGeneration(entry, first, seen.path), truncated: entry };
      if (first.length > entry.fingerprintLength) {
        // The file has grown since it was first seen short: fingerprint more of it. The key stays.
        this.checkpointer.update(entry.key, { fingerprint: fingerprint(first, first.length), fingerprintLength: first.length });
        this.index = undefined;
      }
      return { key: entry.key };
    }
    const key = keyForHead(first);
    // Its first bytes are all the first bytes of a known file that has grown since (a copy or a gzip of it still
    // being written): it is compared again once it is long enough.
    if (this.checkpointer.get(key)) return undefined;
    this.register({ key, fingerprint: fingerprint(first, first.length), fingerprintLength: first.length, offset: 0, lastPath: seen.path }, 1);
    return { key };
  }

  /** The file is shorter than what was read of it, but starts the same: what follows the cut is new content. */
  private nextGeneration(entry: Readonly<Checkpoint>, first: Buffer, path: string): string {
    const generation = (entry.generation ?? 1) + 1;
    const key = generationKey(entry.key, generation);
    this.checkpointer.remove(entry.key);
    this.register({ key, fingerprint: fingerprint(first, first.length), fingerprintLength: first.length, offset: 0, lastPath: path }, generation);
    return key;
  }

  private register(entry: Pick<Checkpoint, 'key' | 'fingerprint' | 'fingerprintLength' | 'offset' | 'lastPath'>, generation: number): void {
    const ts = nowSeconds();
    this.checkpointer.add({ ...entry, firstSeen: ts, updatedAt: ts, ...(generation > 1 ? { generation } : {}) });
    this.index = undefined;
    this.registered = true;
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
    return Math.max(this.options.fingerprintBytes, longest);
  }
}
