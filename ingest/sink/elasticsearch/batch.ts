import type { DeadLetterInput } from './dead-letter';

/**
 * A bulk request body being built: action and document lines are encoded into one growing byte buffer as they
 * come, instead of being kept as thousands of strings until the request is sent. Kept strings outlive the young
 * generation and make the garbage collector the worker's largest CPU cost; bytes off the heap do not.
 */
export interface BatchItem {
  index: string;
  id: string;
  logType: string;
  /** Byte range of the item's two NDJSON lines in the batch body. */
  start: number;
  end: number;
  deadLetter: Omit<DeadLetterInput, 'stage' | 'reason' | 'code' | 'httpStatus' | 'targetIndex'>;
}

/**
 * Batch buffers kept for the next batches. A worker fills a batch of a few megabytes several times a second; a new
 * buffer each time is garbage off the heap that V8 collects only once enough of it has piled up (tens of
 * megabytes of resident memory for nothing), and the memory allocator keeps fragments of it after that. Buffers
 * handed back when their batch is done are used again instead, up to `keep` of them.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  /** A buffer of at least `bytes` (a kept one if any is large enough; the largest kept one is used first). */
  take(bytes: number): Buffer {
    const kept = this.free.pop();
    return kept !== undefined && kept.length >= bytes ? kept : Buffer.allocUnsafe(bytes);
  }

  give(buffer: Buffer): void {
    if (this.free.length >= this.keep) return;
    // Smallest first, so that `take` pops the largest: a grown buffer is not swapped for a small one.
    let at = this.free.length;
    while (at > 0 && this.free[at - 1].length > buffer.length) at--;
    this.free.splice(at, 0, buffer);
  }

  get size(): number {
    return this.free.length;
  }
}

export class BatchBody {
  private buffer: Buffer;
  private length = 0;
  readonly items: BatchItem[] = [];

  /**
   * `limitBytes`: the size a batch is sealed at. The buffer doubles as it fills but not beyond that limit, so a batch
   * just past a power of two does not hold twice the memory it uses; documents added past the limit grow it by half
   * again each time it is full (see `write`). With a pool,
   * the buffer comes from it, and `release` gives it back (grown, if it grew) once the batch is done.
   */
  constructor(
    initialBytes: number,
    private readonly limitBytes = Number.POSITIVE_INFINITY,
    private readonly pool?: BufferPool,
  ) {
    const bytes = Math.max(1024, initialBytes);
    this.buffer = pool ? pool.take(bytes) : Buffer.allocUnsafe(bytes);
  }

  /** The batch is done (acknowledged, or given up): its buffer goes back to the pool. The body must not be read again. */
  release(): void {
    this.pool?.give(this.buffer);
    this.buffer = EMPTY;
    this.length = 0;
  }

  get bytes(): number {
    return this.length;
  }

  /**
   * Appends `{"create":{"_index":…,"_id":…}}\n<document>\n`. `create` refuses an id that exists (replays are
   * duplicates, evidence is never overwritten); `index` replaces it, for documents rewritten as they change.
   */
  add(index: string, id: string, documentJson: string, logType: string, deadLetter: BatchItem['deadLetter'], op: 'create' | 'index' = 'create'): void {
    const start = this.length;
    this.write(`{"${op}":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}\n`);
    this.write(documentJson);
    this.write('\n');
    this.items.push({ index, id, logType, start, end: this.length, deadLetter });
  }

  /** The body as it stands: a view, not a copy. */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** A new body holding only `items` of this one, for a retry of some of its documents. */
  static subset(body: Buffer, items: readonly BatchItem[]): { body: Buffer; items: BatchItem[] } {
    const out: BatchItem[] = [];
    let at = 0;
    for (const item of items) {
      const size = item.end - item.start;
      out.push({ ...item, start: at, end: at + size });
      at += size;
    }
    return { body: Buffer.concat(items.map((i) => body.subarray(i.start, i.end)), at), items: out };
  }

  private write(text: string): void {
    // A body released and filled again would share its bytes with a batch that now owns them.
    if (this.buffer === EMPTY) throw new Error('a batch was written after its buffer was released');
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    const needed = this.length + text.length * 3;
    if (needed > this.buffer.length) {
      // Doubling up to the limit. Past it (a batch is sealed after the documents of a whole read, and the mail
      // worker then adds the messages those lines changed), by half again: growing to the exact need would copy
      // the whole body once per document.
      const size = needed <= this.limitBytes ? Math.min(this.buffer.length * 2, this.limitBytes) : Math.floor(this.buffer.length * 1.5);
      const grown = Buffer.allocUnsafe(Math.max(needed, size));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length);
  }
}

const EMPTY = Buffer.alloc(0);
