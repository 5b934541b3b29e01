import { mkdir, open, readFile, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { UsageError, VigilError } from '../../../common/errors';
import type { ContentTail } from './fingerprint';

export class CheckpointError extends VigilError {
  constructor(message: string, cause?: unknown, meta: Record<string, unknown> = {}) {
    super('VIGIL_CHECKPOINT', message, { cause, meta });
  }
}

/** How far one file (one content identity, whatever its name) has been delivered. */
export interface Checkpoint {
  /** The file's key (SourceFile.key): fixed when it was first seen, whatever happens to its fingerprint later. */
  key: string;
  /** sha256 (hex) of the first `fingerprintLength` bytes of the decompressed content. */
  fingerprint: string;
  /** Grows with the file up to the configured fingerprint size. */
  fingerprintLength: number;
  /** Decompressed byte offset up to which every line is acknowledged. */
  offset: number;
  /**
   * The last bytes known to be the file's: from the first bytes when it was registered, then from just before
   * acknowledged offsets. Files that start alike are told apart by them: a file without these bytes there is
   * another file. Missing in checkpoints written before they were kept: the fingerprint is then all there is.
   */
  tail?: ContentTail;
  lastPath: string;
  /** Epoch seconds. */
  firstSeen: number;
  /** Epoch seconds of the last change to this entry. */
  updatedAt: number;
  /** Base64 of the header lines in effect at `offset`, to prime the parser when resuming mid-file. */
  header?: string[];
  /** The content is final and acknowledged to its end: nothing is left to read. */
  done?: boolean;
  /** 1 for a file as first seen; incremented each time a truncation starts new content. */
  generation?: number;
}

export const CHECKPOINT_FILE = 'checkpoints.json';
const VERSION = 1;

const checkpointSchema = z.object({
  key: z.string().min(1),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  fingerprintLength: z.number().int().positive(),
  offset: z.number().int().nonnegative(),
  tail: z
    .object({ start: z.number().int().nonnegative(), end: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
    .refine((tail) => tail.start < tail.end, 'tail.start must be before tail.end')
    .optional(),
  lastPath: z.string(),
  firstSeen: z.number(),
  updatedAt: z.number(),
  header: z.array(z.string()).optional(),
  done: z.boolean().optional(),
  generation: z.number().int().positive().optional(),
});
const fileSchema = z.object({ version: z.literal(VERSION), cluster: z.string().min(1).optional(), files: z.array(checkpointSchema) });

export interface CheckpointerOptions {
  /** Changes are written at most this often (and always by `flush()` and `close()`); 0 writes only when asked. */
  flushIntervalMs?: number;
  /** Receives the failures of the writes that the interval triggers (an explicit `flush()` rejects instead). */
  onError?: (error: CheckpointError) => void;
  /**
   * The uuid of the Elasticsearch cluster the lines go to. The file records it; checkpoints kept for another cluster
   * are set aside (see `setAside`), since none of their lines is in this one. Checkpoints that name no cluster
   * (written before they did) are taken as this cluster's.
   */
  cluster?: string;
}

/**
 * The file source's checkpoints: one versioned JSON file in the state directory, replaced atomically (temporary
 * file, fsync, rename, fsync of the directory), so a crash at any moment leaves either the old or the new version.
 */
export class Checkpointer {
  readonly file: string;
  readonly tempFile: string;
  private readonly dir: string;
  private readonly entries = new Map<string, Checkpoint>();
  private readonly flushIntervalMs: number;
  private dirty = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private cluster: string | undefined;
  /** Checkpoints the file kept for another cluster, left out: that cluster, and how many files they held. */
  setAside: { cluster: string; files: number } | undefined;

  private constructor(
    stateDir: string,
    private readonly options: CheckpointerOptions,
  ) {
    this.dir = path.resolve(stateDir);
    this.file = path.join(this.dir, CHECKPOINT_FILE);
    this.tempFile = `${this.file}.tmp`;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.cluster = options.cluster;
  }

  static async open(stateDir: string, options: CheckpointerOptions = {}): Promise<Checkpointer> {
    const checkpointer = new Checkpointer(stateDir, options);
    try {
      await mkdir(checkpointer.dir, { recursive: true });
    } catch (err) {
      throw new CheckpointError(`The state directory ${checkpointer.dir} cannot be created.`, err, { path: checkpointer.dir });
    }
    await checkpointer.load();
    return checkpointer;
  }

  get(key: string): Readonly<Checkpoint> | undefined {
    return this.entries.get(key);
  }

  all(): IterableIterator<Readonly<Checkpoint>> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Registers a file seen for the first time. Flush before handing out its lines, so a crash cannot re-key it. */
  add(entry: Checkpoint): void {
    if (this.entries.has(entry.key)) throw new UsageError(`A checkpoint with key ${entry.key} exists already.`);
    this.entries.set(entry.key, { ...entry });
    this.changed();
  }

  remove(key: string): void {
    if (this.entries.delete(key)) this.changed();
  }

  update(key: string, patch: Partial<Pick<Checkpoint, 'lastPath' | 'fingerprint' | 'fingerprintLength' | 'done'>>): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    Object.assign(entry, patch);
    entry.updatedAt = nowSeconds();
    this.changed();
  }

  /**
   * Moves a file's offset forward (never back) with the header lines in effect there and, when known, the content's
   * tail at or before it (kept only when it lies further than the one kept); unknown keys are ignored.
   */
  commit(key: string, offset: number, headerLines: readonly Buffer[], tail?: ContentTail): void {
    const entry = this.entries.get(key);
    if (!entry || offset <= entry.offset) return;
    entry.offset = offset;
    if (headerLines.length > 0) entry.header = headerLines.map((line) => line.toString('base64'));
    else delete entry.header;
    if (tail && tail.end <= offset && tail.end > (entry.tail?.end ?? 0)) entry.tail = tail;
    entry.updatedAt = nowSeconds();
    this.changed();
  }

  /** Forgets files not present now whose entry has not changed for `retentionSeconds`; returns their keys. */
  prune(present: ReadonlySet<string>, retentionSeconds: number): string[] {
    const limit = nowSeconds() - retentionSeconds;
    const pruned: string[] = [];
    for (const [key, entry] of this.entries) {
      if (!present.has(key) && entry.updatedAt < limit) {
        this.entries.delete(key);
        pruned.push(key);
      }
    }
    if (pruned.length > 0) this.changed();
    return pruned;
  }

  /** Writes the changes now; resolves once they are on disk. */
  flush(): Promise<void> {
    const run = this.writing.then(() => this.write());
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Writes the last changes; later changes are kept in memory only. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.closed || this.flushIntervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: CheckpointError) => this.options.onError?.(err));
    }, this.flushIntervalMs);
    // Pending checkpoints must not keep the process alive: close() writes them.
    this.timer.unref();
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new CheckpointError(`The checkpoint file ${this.file} cannot be read.`, err, { path: this.file });
    }
    const startOver = 'Move it away to start over: every file is then read again, under the same document ids.';
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new CheckpointError(`The checkpoint file ${this.file} is not valid JSON. ${startOver}`, err, { path: this.file });
    }
    const version = (data as { version?: unknown } | null)?.version;
    if (version !== VERSION) {
      throw new CheckpointError(`The checkpoint file ${this.file} has version ${String(version)}; this program reads version ${VERSION}.`, undefined, {
        path: this.file,
        version,
      });
    }
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CheckpointError(`The checkpoint file ${this.file} is damaged at ${issue?.path.join('.')}: ${issue?.message}. ${startOver}`, parsed.error, {
        path: this.file,
      });
    }
    const kept = parsed.data.cluster;
    const wanted = this.options.cluster;
    if (wanted === undefined) this.cluster = kept;
    else if (kept !== wanted) {
      // Written over at the next change, for this cluster: the other's are of no use here.
      this.dirty = true;
      if (kept !== undefined) {
        this.setAside = { cluster: kept, files: parsed.data.files.length };
        return;
      }
    }
    for (const entry of parsed.data.files) this.entries.set(entry.key, entry);
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    // One entry per line: the file stays readable for a person looking at why a file is (not) being read.
    const body = [...this.entries.values()].map((entry) => JSON.stringify(entry)).join(',\n');
    const cluster = this.cluster !== undefined ? `"cluster":${JSON.stringify(this.cluster)},` : '';
    const text = `{"version":${VERSION},${cluster}"files":[\n${body}\n]}\n`;
    try {
      const handle = await open(this.tempFile, 'w');
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(this.tempFile, this.file);
      await syncDirectory(this.dir);
    } catch (err) {
      this.dirty = true;
      throw new CheckpointError(`Checkpoints cannot be written to ${this.file}.`, err, { path: this.file });
    }
  }
}

/** Makes the rename durable. Some platforms cannot open or sync a directory; the rename is then as durable as it gets. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
