import { createHash } from 'node:crypto';
import { closeFd, openRead, readAt } from './fd';
import { GunzipDecoder, hasGzipMagic } from './gzip';

/**
 * A file's identity is its content, not its name: a hash of its first bytes after decompression (the fingerprint),
 * and of bytes further on (the tail, see ContentTail), as logs of one kind often start alike. So `conn.log`, the same
 * file renamed to `conn.2026-11-24-10-00-00.log` and later gzipped to `...log.gz` are one file, and a new `conn.log`
 * is another.
 */
export interface FileHead {
  gzip: boolean;
  /** The first bytes of the (decompressed) content: `length` of them, or all of it when the content is shorter. */
  bytes: Buffer;
  /** Set when a gzip stream failed within those first bytes: truncated (maybe still being written) or corrupt. */
  gzipError?: Error;
}

const HEAD_CHUNK = 16 * 1024;

/** Reads the first `length` bytes of a file's content, decompressing when it starts with gzip's magic number. */
export async function readHead(path: string, length: number): Promise<FileHead> {
  const fd = await openRead(path);
  try {
    const raw = Buffer.allocUnsafe(length);
    const n = await readAt(fd, raw, 0, length, 0);
    const bytes = raw.subarray(0, n);
    if (!hasGzipMagic(bytes)) return { gzip: false, bytes };
    const decoder = new GunzipDecoder(fd, { chunkBytes: HEAD_CHUNK });
    const parts: Buffer[] = [];
    let have = 0;
    try {
      while (have < length) {
        const chunk = await decoder.next();
        if (!chunk) break;
        parts.push(chunk);
        have += chunk.length;
      }
    } catch (err) {
      return { gzip: true, bytes: Buffer.concat(parts).subarray(0, length), gzipError: err as Error };
    } finally {
      decoder.close();
    }
    return { gzip: true, bytes: Buffer.concat(parts).subarray(0, length) };
  } finally {
    await closeFd(fd);
  }
}

/** How many first bytes name a new file: enough that logs that merely start alike get different keys. */
export const KEY_BYTES = 64 * 1024;

/** Bytes of content a checkpoint remembers (as a hash) just before a known position, to recognise its file there. */
export const TAIL_BYTES = 256;

/**
 * Bytes `[start, end)` of a file's (decompressed) content, by their sha256 (hex). A file whose content has these
 * bytes there may be the file they were taken from; one that has not, or is shorter, is not.
 */
export interface ContentTail {
  start: number;
  end: number;
  sha256: string;
}

/** The fingerprint stored in a checkpoint: sha256 (hex) of the first `length` bytes. */
export function fingerprint(bytes: Buffer, length: number): string {
  return createHash('sha256').update(bytes.subarray(0, length)).digest('hex');
}

/** The tail of `bytes`, content that starts at offset `at`: its last TAIL_BYTES (or fewer) bytes. */
export function tailOf(bytes: Buffer, at: number): ContentTail {
  const from = Math.max(0, bytes.length - TAIL_BYTES);
  return { start: at + from, end: at + bytes.length, sha256: createHash('sha256').update(bytes.subarray(from)).digest('hex') };
}

/**
 * The key a file gets when first seen: 22 base64url characters (132 bits) of the hash of its first KEY_BYTES bytes
 * (all of it when shorter). Derived from the content, so a lost state directory gives the same keys again, and the
 * document ids built from them deduplicate a re-read instead of doubling it.
 */
export function keyForHead(bytes: Buffer): string {
  return createHash('sha256').update(bytes.subarray(0, KEY_BYTES)).digest('base64url').slice(0, 22);
}

/** The key of the content written after a truncation: deterministic, so a crash before it is saved gives it again. */
export function generationKey(previousKey: string, generation: number): string {
  return createHash('sha256').update(`${previousKey}/${generation}`).digest('base64url').slice(0, 22);
}

/**
 * The key of a file whose first bytes are those of another, different file that holds `key` already: the n-th
 * (from 2) such file in the order they are found. Deterministic, so the same files read again get the same keys.
 */
export function distinctKey(key: string, n: number): string {
  return createHash('sha256').update(`${key}+${n}`).digest('base64url').slice(0, 22);
}
