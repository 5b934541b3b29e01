import { createHash } from 'node:crypto';
import { SourceError } from '../../../common/errors';
import { type Checkpoint, type Checkpointer, nowSeconds } from './checkpointer';
import type { Candidate } from './discover';
import { type ContentTail, distinctKey, type FileHead, fingerprint, generationKey, KEY_BYTES, keyForHead, readHead, tailOf } from './fingerprint';
import { probe } from './probe';

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
  /** Content that matches nothing yet: an emptied file, or a gzip file of nothing. */
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

/** What this process reads: the file it reads a key from is that key's file (unless cut), whatever starts like it. */
export interface Readings {
  /** The key this process reads from the file (dev, ino), or last saw there, and how far it read it (bytes on disk). */
  at(dev: number, ino: number): { key: string; read: number } | undefined;
  /** Whether this process tracks `key`: reads it, or waits for acknowledgements of its lines. */
  tracks(key: string): boolean;
}

/** What the last scans learned about a path: its stat signature and, once identified, its key. */
interface PathMemo {
  signature: string;
  since: number;
  key?: string;
  gzip?: boolean;
  /** A failure for this signature was reported already. */
  failed?: boolean;
}

/** A listed path whose content is being identified in this scan. */
interface Listed {
  memo: PathMemo;
  seen: Omit<Observation, 'key' | 'gzip'>;
  gzip: boolean;
  /** Its first bytes; undefined for a path identified in an earlier scan and unchanged since. */
  head: FileHead | undefined;
  /** The head is the whole content. */
  whole: boolean;
  key?: string;
  /** Known to hold `key`: the file this process reads it from, one identified earlier, or the one chosen among several. */
  sure: boolean;
  /** This process reads it as this checkpoint's file, but it no longer holds what was read of it. */
  cut?: Readonly<Checkpoint>;
  /** Checkpoints whose fingerprint it matches while its content further on does not. */
  unverified?: ReadonlyArray<Readonly<Checkpoint>>;
  truncated?: Readonly<Checkpoint>;
  /** Its length and last bytes, once needed. */
  last?: Promise<ContentTail | undefined>;
  /** It went away or failed while being identified. */
  outcome?: Identification;
}

/**
 * Tells which file (content identity, checkpoint key) each listed path holds, and registers new files. A path holds
 * a checkpoint's file when its first bytes match the checkpoint's fingerprint AND its content has the checkpoint's
 * tail (bytes just before what was read of the file) where it was taken: logs that start alike (same header, same
 * first records) are different files. New content is keyed by its first KEY_BYTES bytes, so the same complete
 * files get the same keys in any run. Paths whose stat has not changed are not read again.
 */
export class Identifier {
  private readonly memos = new Map<string, PathMemo>();
  /** Checkpoints by fingerprint length, then fingerprint; rebuilt after fingerprints change. */
  private index: FingerprintIndex | undefined;
  private registered = false;

  constructor(
    private readonly checkpointer: Checkpointer,
    private readonly options: IdentifierOptions,
  ) {}

  /**
   * Identifies the files of one scan, in the order listed. They are identified together because whether a file
   * that verifies a checkpoint is that checkpoint's file depends on the others: of several files that hold what
   * is known of one checkpoint, only copies of its own file are that file.
   */
  async identifyAll(candidates: readonly Candidate[], now: number, readings: Readings): Promise<Identification[]> {
    const looked: Array<Identification | Listed> = [];
    const holders = new Map<string, Listed[]>();
    const fresh: Listed[] = [];
    for (const c of candidates) {
      const found = await this.look(c, now);
      looked.push(found);
      if ('kind' in found) continue;
      if (found.key !== undefined) hold(holders, found, found.key);
      else fresh.push(found);
    }
    for (const f of fresh) await this.match(f, readings, holders);
    await this.settle(holders);
    // In the order listed: among files new to the checkpoints, the first listed of a content keeps its plain key.
    for (const f of fresh) if (f.key === undefined && !f.outcome) await this.register(f, readings, holders);
    return looked.map((found) => {
      if ('kind' in found) return found;
      if (found.outcome) return found.outcome;
      const key = found.key!;
      found.memo.key = key;
      found.memo.gzip = found.gzip;
      return { kind: 'file', observation: { ...found.seen, key, gzip: found.gzip }, truncated: found.truncated };
    });
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

  /** Stats a path's memo, and reads the first bytes of a path not identified yet. */
  private async look(c: Candidate, now: number): Promise<Identification | Listed> {
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
      return { memo, seen, gzip: memo.gzip === true, head: undefined, whole: false, key: memo.key, sure: true };
    }
    if (memo.failed) return { kind: 'skip' };
    if (st.size === 0) return { kind: 'unknown', inode };
    const length = this.headLength();
    let head: FileHead;
    try {
      head = await readHead(c.path, length);
    } catch (err) {
      return this.unreadable(memo, c.path, err);
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
    return { memo, seen, gzip: head.gzip, head, whole: head.bytes.length < length && !head.gzipError, sure: false };
  }

  private unreadable(memo: PathMemo, path: string, err: unknown): Identification {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'skip' };
    memo.failed = true;
    return { kind: 'error', error: new SourceError(`${path} cannot be read (${code ?? String(err)}).`, err, { path, offset: 0, errno: code }) };
  }

  /** Finds the checkpoint a file holds: the one this process reads it as, else the one its content verifies best. */
  private async match(f: Listed, readings: Readings, holders: Map<string, Listed[]>): Promise<void> {
    const bytes = f.head!.bytes;
    const reading = readings.at(f.seen.dev, f.seen.ino);
    const own = reading && this.checkpointer.get(reading.key);
    if (own && own.fingerprintLength <= bytes.length && fingerprint(bytes, own.fingerprintLength) === own.fingerprint) {
      const verified = await this.verify(f, [own]);
      if (!verified) return;
      // The very file this process reads as that checkpoint: still it, unless it was cut below what was read of it
      // or rewritten (a gzip file is neither, and its read position counts compressed bytes).
      if ((!f.gzip && f.seen.size < reading.read) || !verified[0]) {
        f.cut = own;
      } else {
        f.key = own.key;
        f.sure = true;
        hold(holders, f, own.key);
      }
      return;
    }
    // Those with a whole fingerprint of this content first: as a rule the file's own one, so that the others are
    // looked through only for a file first seen shorter than the fingerprint size, or a new one.
    let candidates = this.withFingerprint(bytes, Math.min(bytes.length, this.options.fingerprintBytes));
    let verified = await this.verify(f, candidates);
    if (!verified) return;
    if (!verified.includes(true)) {
      const others = this.candidates(bytes).filter((entry) => !candidates.includes(entry));
      const more = await this.verify(f, others);
      if (!more) return;
      candidates = [...candidates, ...others];
      verified = [...verified, ...more];
    }
    const best = verified.indexOf(true);
    if (best < 0) {
      f.unverified = candidates;
      return;
    }
    f.key = candidates[best].key;
    hold(holders, f, f.key);
  }

  /**
   * Whether the file holds each candidate's tail where it was taken (its first bytes match already). A tail beyond
   * the head is read from the file: a gzip file is decompressed that far. Undefined when the file cannot be read now.
   */
  private async verify(f: Listed, candidates: ReadonlyArray<Readonly<Checkpoint>>): Promise<boolean[] | undefined> {
    const bytes = f.head!.bytes;
    const far: number[] = [];
    const verified = candidates.map((entry, i) => {
      const tail = entry.tail;
      // Written before tails were kept: the fingerprint is all there is, and a plain file shorter than what was
      // read of it is not that file as it was.
      if (!tail) return f.gzip || f.seen.size >= entry.offset;
      if (tail.end <= bytes.length) return sha256(bytes.subarray(tail.start, tail.end)) === tail.sha256;
      if (!f.whole) far.push(i);
      return false;
    });
    if (far.length === 0) return verified;
    let hashes: Array<string | undefined>;
    try {
      ({ hashes } = await probe(
        f.seen.path,
        f.gzip,
        far.map((i) => candidates[i].tail!),
        false,
      ));
    } catch (err) {
      f.outcome = this.unreadable(f.memo, f.seen.path, err);
      return undefined;
    }
    far.forEach((i, j) => (verified[i] = hashes[j] === candidates[i].tail!.sha256));
    return verified;
  }

  /**
   * Several files may verify one checkpoint: copies of one content, or files that start alike and are the same as
   * far as the checkpoint knows. One of them is the checkpoint's file: the one known to be, else the one at its last
   * path, else the first listed. The others are that file too only when they are copies of that one; the rest are
   * new files.
   */
  private async settle(holders: Map<string, Listed[]>): Promise<void> {
    for (const [key, list] of holders) {
      const entry = this.checkpointer.get(key)!;
      const own = list.find((f) => f.sure) ?? list.find((f) => f.seen.path === entry.lastPath) ?? list[0];
      own.sure = true;
      const kept: Listed[] = [];
      for (const f of list) {
        if (f.sure || (await this.identical(f, own))) {
          f.sure = true;
          kept.push(f);
        } else {
          f.key = undefined;
        }
      }
      holders.set(key, kept);
      this.grow(entry, kept);
    }
  }

  /** The file has grown since it was first seen short: fingerprint more of it. The key stays. */
  private grow(entry: Readonly<Checkpoint>, files: readonly Listed[]): void {
    for (const f of files) {
      if (!f.head) continue;
      const first = f.head.bytes.subarray(0, this.options.fingerprintBytes);
      if (first.length <= entry.fingerprintLength) continue;
      this.checkpointer.update(entry.key, { fingerprint: fingerprint(first, first.length), fingerprintLength: first.length });
      this.index = undefined;
      return;
    }
  }

  /** Keys a file that holds no known checkpoint: a truncated file's next generation, or new content. */
  private async register(f: Listed, readings: Readings, holders: Map<string, Listed[]>): Promise<void> {
    // The file of a checkpoint no other file holds, no longer holding what was read of it: cut (copytruncate) and
    // maybe written again. Known by its inode while this process reads it, else by its last path.
    const previous = f.cut ?? f.unverified?.find((entry) => entry.lastPath === f.seen.path && !readings.tracks(entry.key));
    if (previous && !holders.has(previous.key) && this.checkpointer.get(previous.key)) {
      const generation = (previous.generation ?? 1) + 1;
      const key = await this.keyFrom(generationKey(previous.key, generation), f, holders);
      this.checkpointer.remove(previous.key);
      f.truncated = previous;
      this.add(f, key, generation, holders);
      return;
    }
    this.add(f, await this.keyFrom(keyForHead(f.head!.bytes), f, holders), 1, holders);
  }

  /** `base`, unless another content holds it already: then the first distinct key that is free or held by a copy. */
  private async keyFrom(base: string, f: Listed, holders: Map<string, Listed[]>): Promise<string> {
    for (let n = 1; ; n++) {
      const key = n === 1 ? base : distinctKey(base, n);
      if (!this.checkpointer.get(key)) return key;
      for (const other of holders.get(key) ?? []) if (await this.identical(f, other)) return key;
    }
  }

  private add(f: Listed, key: string, generation: number, holders: Map<string, Listed[]>): void {
    if (!this.checkpointer.get(key)) {
      const bytes = f.head!.bytes;
      const first = bytes.subarray(0, this.options.fingerprintBytes);
      const ts = nowSeconds();
      this.checkpointer.add({
        key,
        fingerprint: fingerprint(first, first.length),
        fingerprintLength: first.length,
        offset: 0,
        tail: tailOf(bytes.subarray(0, KEY_BYTES), 0),
        lastPath: f.seen.path,
        firstSeen: ts,
        updatedAt: ts,
        ...(generation > 1 ? { generation } : {}),
      });
      this.index = undefined;
      this.registered = true;
    }
    f.key = key;
    f.sure = true;
    hold(holders, f, key);
  }

  /** Whether two files hold the same content: same length and last bytes (and, as they were paired, first bytes). */
  private async identical(a: Listed, b: Listed): Promise<boolean> {
    const [x, y] = await Promise.all([this.lastOf(a), this.lastOf(b)]);
    return x !== undefined && y !== undefined && x.end === y.end && x.sha256 === y.sha256;
  }

  private lastOf(f: Listed): Promise<ContentTail | undefined> {
    if (f.whole) return Promise.resolve(tailOf(f.head!.bytes, 0));
    // Unreadable now: not known to be a copy, so it is taken for a file of its own.
    f.last ??= probe(f.seen.path, f.gzip, [], true).then(
      (found) => found.last,
      () => undefined,
    );
    return f.last;
  }

  /** Checkpoints whose fingerprint covers the first `length` bytes of the content, most telling first. */
  private withFingerprint(bytes: Buffer, length: number): Array<Readonly<Checkpoint>> {
    const entries = this.fingerprintIndex().byLength.get(length)?.get(fingerprint(bytes, length));
    return entries ? [...entries].sort(mostTelling) : [];
  }

  /**
   * Checkpoints whose fingerprint the content starts with, most telling first: the furthest tail, the longest
   * fingerprint, the latest update. One running hash serves every fingerprint length.
   */
  private candidates(bytes: Buffer): Array<Readonly<Checkpoint>> {
    const found: Array<Readonly<Checkpoint>> = [];
    const hash = createHash('sha256');
    let hashed = 0;
    const { lengths, byLength } = this.fingerprintIndex();
    for (const length of lengths) {
      if (length > bytes.length) break;
      hash.update(bytes.subarray(hashed, length));
      hashed = length;
      const entries = byLength.get(length)!.get(hash.copy().digest('hex'));
      if (entries) found.push(...entries);
    }
    return found.sort(mostTelling);
  }

  private fingerprintIndex(): FingerprintIndex {
    if (this.index) return this.index;
    const byLength = new Map<number, Map<string, Array<Readonly<Checkpoint>>>>();
    for (const entry of this.checkpointer.all()) {
      let map = byLength.get(entry.fingerprintLength);
      if (!map) byLength.set(entry.fingerprintLength, (map = new Map()));
      const entries = map.get(entry.fingerprint);
      if (entries) entries.push(entry);
      else map.set(entry.fingerprint, [entry]);
    }
    this.index = { lengths: [...byLength.keys()].sort((a, b) => a - b), byLength };
    return this.index;
  }

  /** Enough bytes to key new content and to compare with every checkpoint, even one with a larger fingerprint size. */
  private headLength(): number {
    const { lengths } = this.fingerprintIndex();
    return Math.max(this.options.fingerprintBytes, KEY_BYTES, lengths[lengths.length - 1] ?? 0);
  }
}

interface FingerprintIndex {
  /** Ascending. */
  lengths: number[];
  byLength: Map<number, Map<string, Array<Readonly<Checkpoint>>>>;
}

function hold(holders: Map<string, Listed[]>, f: Listed, key: string): void {
  const list = holders.get(key);
  if (list) list.push(f);
  else holders.set(key, [f]);
}

function mostTelling(a: Readonly<Checkpoint>, b: Readonly<Checkpoint>): number {
  return (
    (b.tail?.end ?? 0) - (a.tail?.end ?? 0) ||
    b.fingerprintLength - a.fingerprintLength ||
    b.updatedAt - a.updatedAt ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
