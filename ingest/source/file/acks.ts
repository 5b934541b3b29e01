import { UsageError } from '../../../common/errors';

interface AckedRange {
  start: number;
  end: number;
  header: readonly Buffer[];
}

/**
 * One file's acknowledgements, in the way TCP takes them: a cumulative ack ("everything before `end` is done") or a
 * selective one ("`[start, end)` is done"), in any order. The committed offset is the end of the acknowledged
 * prefix: a range acknowledged ahead of a gap waits until the gap is filled, so a batch that Elasticsearch accepted
 * before an earlier one cannot move the checkpoint past lines that may still be lost.
 */
export class AckTracker {
  /** Everything before this offset is acknowledged. */
  committed: number;
  /** Header lines in effect at `committed`, as given with the acknowledgement that reached it. */
  header: readonly Buffer[] | undefined;
  /** Offset just past the last line handed out. */
  issued: number;
  /** Acknowledged ranges beyond a gap, sorted by start. */
  private readonly ahead: AckedRange[] = [];

  constructor(committed: number) {
    this.committed = committed;
    this.issued = committed;
  }

  issue(end: number): void {
    if (end > this.issued) this.issued = end;
  }

  /** Everything before `end` is acknowledged. Returns whether `committed` moved. */
  ackThrough(end: number, header: readonly Buffer[]): boolean {
    this.check(end, end);
    if (end <= this.committed) return false;
    this.committed = end;
    this.header = header;
    this.absorb();
    return true;
  }

  /** `[start, end)` is acknowledged. Returns whether `committed` moved. */
  ackRange(start: number, end: number, header: readonly Buffer[]): boolean {
    this.check(start, end);
    if (end <= this.committed) return false;
    if (start <= this.committed) {
      this.committed = end;
      this.header = header;
      this.absorb();
      return true;
    }
    let i = this.ahead.length;
    while (i > 0 && this.ahead[i - 1].start > start) i--;
    this.ahead.splice(i, 0, { start, end, header });
    return false;
  }

  /** Every line handed out is acknowledged. */
  get settled(): boolean {
    return this.committed >= this.issued;
  }

  /** Bytes handed out and not yet acknowledged as part of the prefix. */
  get outstanding(): number {
    return this.issued - this.committed;
  }

  private absorb(): void {
    while (this.ahead.length > 0 && this.ahead[0].start <= this.committed) {
      const range = this.ahead.shift()!;
      if (range.end > this.committed) {
        this.committed = range.end;
        this.header = range.header;
      }
    }
  }

  private check(start: number, end: number): void {
    if (!(start <= end) || end > this.issued) {
      throw new UsageError(`Acknowledged range [${start}, ${end}) is not within what was handed out (up to ${this.issued}).`);
    }
  }
}
