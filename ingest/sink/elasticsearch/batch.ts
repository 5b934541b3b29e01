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

export class BatchBody {
  private buffer: Buffer;
  private length = 0;
  readonly items: BatchItem[] = [];

  /**
   * `limitBytes`: the size a batch is sealed at. The buffer doubles as it fills but not beyond that limit (plus what
   * one document needs), so a batch just past a power of two does not hold twice the memory it uses.
   */
  constructor(
    initialBytes: number,
    private readonly limitBytes = Number.POSITIVE_INFINITY,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(1024, initialBytes));
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
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    const needed = this.length + text.length * 3;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(this.buffer.length * 2, this.limitBytes)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length);
  }
}
