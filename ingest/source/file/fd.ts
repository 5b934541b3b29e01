import { close, fstat, open, read, type Stats } from 'node:fs';

/**
 * Descriptor I/O as promises. Raw descriptors rather than `FileHandle`: a reader keeps its descriptor open so a file
 * renamed or deleted meanwhile can still be read to its end, and positional reads need no shared file position.
 */
export function openRead(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** Reads `length` bytes at `position`; resolves with the count read (0 at the end of the file). */
export function readAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });
}

export function statFd(fd: number): Promise<Stats> {
  return new Promise((resolve, reject) => fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats))));
}

/** Closing a read-only descriptor cannot lose data, so its error is of no use. */
export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}
