import { createGunzip, type Gunzip } from 'node:zlib';
import { readAt } from './fd';

/** A compressed file is recognised by gzip's magic number, whatever its name says. */
export function hasGzipMagic(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const INPUT_PIECE = 32 * 1024;

export interface GunzipDecoderOptions {
  /** Bytes per zlib output chunk. */
  chunkBytes: number;
  /**
   * From this compressed position on, feed zlib pieces of `finePiece` bytes. zlib drops the output of a call that
   * fails, so small calls near a corrupt spot salvage the data in front of it.
   */
  fineFrom?: number;
  finePiece?: number;
}

/**
 * Pull-based decompression of a gzip file through an open descriptor (so a file deleted meanwhile is still read).
 *
 * Node's stream iterators discard the output already buffered when zlib fails, so the good part in front of a
 * truncated or corrupt spot would be lost. Here every chunk zlib produced goes to our own queue and is handed out
 * before the error is thrown. Input is only read when the queue is empty: memory stays at about the output of one
 * input piece.
 */
export class GunzipDecoder {
  /** Compressed bytes read from the file so far. */
  compressedPosition = 0;
  /** Compressed position of the piece zlib was last given: where a corruption was found when it fails. */
  lastPieceStart = 0;
  private readonly zlib: Gunzip;
  private readonly queue: Buffer[] = [];
  private ended = false;
  private inputDone = false;
  private writing = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly notify = (): void => {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  constructor(
    private readonly fd: number,
    private readonly options: GunzipDecoderOptions,
  ) {
    this.zlib = createGunzip({ chunkSize: options.chunkBytes });
    this.zlib.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.notify();
    });
    this.zlib.on('end', () => {
      this.ended = true;
      this.notify();
    });
    this.zlib.on('error', (err: Error) => {
      this.failure = err;
      this.notify();
    });
  }

  /** The next decompressed chunk; undefined at the end. After the last good chunk, throws what went wrong. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) return chunk;
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      if (!this.writing && !this.inputDone) await this.feed();
      await woken;
    }
  }

  close(): void {
    this.zlib.removeAllListeners();
    // A late error from the zlib thread must not become an uncaught exception.
    this.zlib.on('error', () => undefined);
    this.zlib.destroy();
  }

  private async feed(): Promise<void> {
    const fine = this.options.fineFrom;
    let length = INPUT_PIECE;
    if (fine !== undefined) {
      length = this.compressedPosition >= fine ? (this.options.finePiece ?? 1) : Math.min(INPUT_PIECE, fine - this.compressedPosition);
    }
    const piece = Buffer.allocUnsafe(length);
    let n: number;
    try {
      n = await readAt(this.fd, piece, 0, length, this.compressedPosition);
    } catch (err) {
      this.failure = err as Error;
      this.notify();
      return;
    }
    if (n === 0) {
      this.inputDone = true;
      this.zlib.end();
      return;
    }
    this.lastPieceStart = this.compressedPosition;
    this.compressedPosition += n;
    this.writing = true;
    this.zlib.write(n === length ? piece : piece.subarray(0, n), () => {
      this.writing = false;
      this.notify();
    });
  }
}

/** zlib's codes for a stream that is damaged, as opposed to one that merely ends early. */
export function isCorruptGzip(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'Z_DATA_ERROR';
}
