import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last lines of a log, for error messages. Reads only the end of the file: a node's log can be large, and
 * the lines that explain a failed start are the last ones.
 */
export function tailFile(file: string, lines: number, maxBytes = 64 * 1024): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
