import { createHash } from 'node:crypto';
import { closeFd, openRead, readAt, statFd } from './fd';
import { type ContentTail, TAIL_BYTES, tailOf } from './fingerprint';
import { GunzipDecoder } from './gzip';

/** Bytes `[start, end)` of a file's (decompressed) content. */
export interface ContentWindow {
  start: number;
  end: number;
}

export interface Probe {
  /** sha256 (hex) of each window asked for; undefined where the content ends (or cannot be decompressed) first. */
  hashes: Array<string | undefined>;
  /** When asked for: the content's tail (its `end` is the content's length); undefined when that cannot be known. */
  last?: ContentTail;
}

const GZIP_CHUNK = 64 * 1024;

/**
 * Hashes a file's content at a few places and, when `toEnd`, at its end: what tells files that start alike apart.
 * Plain files are read only there; gzip files are decompressed as far as needed, in chunks, so memory stays small
 * whatever their size. Throws the system error when the file cannot be opened or read.
 */
export async function probe(path: string, gzip: boolean, windows: readonly ContentWindow[], toEnd: boolean): Promise<Probe> {
  const fd = await openRead(path);
  try {
    return gzip ? await probeGzip(fd, windows, toEnd) : await probePlain(fd, windows, toEnd);
  } finally {
    await closeFd(fd);
  }
}

async function probePlain(fd: number, windows: readonly ContentWindow[], toEnd: boolean): Promise<Probe> {
  const hashes: Array<string | undefined> = [];
  for (const w of windows) {
    const bytes = Buffer.allocUnsafe(w.end - w.start);
    const n = await readAt(fd, bytes, 0, bytes.length, w.start);
    hashes.push(n === bytes.length ? sha256(bytes) : undefined);
  }
  if (!toEnd) return { hashes };
  const size = (await statFd(fd)).size;
  const last = Buffer.allocUnsafe(Math.min(TAIL_BYTES, size));
  const n = await readAt(fd, last, 0, last.length, size - last.length);
  // Shorter than its size a moment ago: it was cut meanwhile, and what it holds is not known.
  return { hashes, last: n === last.length ? tailOf(last, size - last.length) : undefined };
}

async function probeGzip(fd: number, windows: readonly ContentWindow[], toEnd: boolean): Promise<Probe> {
  const pending = windows.map((w) => ({ ...w, hash: createHash('sha256'), have: 0 }));
  const stop = toEnd ? Infinity : Math.max(0, ...windows.map((w) => w.end));
  // The chunks that hold the last TAIL_BYTES bytes decompressed so far.
  const recent: Buffer[] = [];
  let recentBytes = 0;
  let position = 0;
  let complete = false;
  const decoder = new GunzipDecoder(fd, { chunkBytes: GZIP_CHUNK });
  try {
    while (position < stop) {
      const chunk = await decoder.next();
      if (!chunk) {
        complete = true;
        break;
      }
      const chunkEnd = position + chunk.length;
      for (const w of pending) {
        const from = Math.max(w.start, position);
        const to = Math.min(w.end, chunkEnd);
        if (from >= to) continue;
        w.hash.update(chunk.subarray(from - position, to - position));
        w.have += to - from;
      }
      if (toEnd) {
        recent.push(chunk);
        recentBytes += chunk.length;
        while (recentBytes - recent[0].length >= TAIL_BYTES) recentBytes -= recent.shift()!.length;
      }
      position = chunkEnd;
    }
  } catch {
    // Damaged or cut short: what came before the damage was hashed; the rest of the content cannot be known.
  } finally {
    decoder.close();
  }
  const hashes = pending.map((w) => (w.have === w.end - w.start ? w.hash.digest('hex') : undefined));
  if (!toEnd || !complete) return { hashes };
  return { hashes, last: tailOf(Buffer.concat(recent, recentBytes), position - recentBytes) };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
