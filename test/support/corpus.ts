import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The shared corpus of real logs lives beside the repository. */
export const CORPUS = resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
export const ZEEK_CORPUS = join(CORPUS, 'zeek');
export const LABELED_CORPUS = join(CORPUS, 'labeled');

/** Every file below `dir`, recursively, sorted. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesBelow(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** Decompressed content of a log file (gzip by magic bytes). */
export function readLog(path: string): Buffer {
  const raw = readFileSync(path);
  return raw.length > 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/**
 * Lines that carry an event, counted independently of the parser: every non-empty line that is not a `#` header
 * or comment (a line holding one space is a record whose only field is a space). Each must end up as a document
 * or a dead letter.
 */
export function dataLines(content: Buffer): number {
  let n = 0;
  for (const line of content.toString('latin1').split('\n')) {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text !== '' && !text.startsWith('#')) n++;
  }
  return n;
}

export function contentHash(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function sizeOf(path: string): number {
  return statSync(path).size;
}

/**
 * A line of a Zeek TSV log laid out as the Stratosphere IoT-23 captures are: its last `count` columns joined by three
 * spaces instead of tabs, on the `#fields` and `#types` headers and on every data line. Other headers are unchanged.
 */
export function joinLastColumns(line: string, count: number): string {
  if (line === '' || !/^(#fields|#types)\t|^[^#]/.test(line)) return line;
  const columns = line.split('\t');
  return [...columns.slice(0, -count), columns.slice(-count).join('   ')].join('\t');
}

/**
 * A real log with its `ts` column moved so that its first record is at `start` (epoch seconds). Comment and
 * header lines stay as they are; nothing but the time changes.
 */
export function shiftTimes(content: string, start: number): string {
  const lines = content.split('\n');
  const fields = (lines.find((l) => l.startsWith('#fields\t')) ?? '').split('\t').slice(1);
  const ts = fields.indexOf('ts');
  if (ts < 0) throw new Error('no ts column');
  const data = lines.filter((l) => l !== '' && !l.startsWith('#'));
  const first = Math.min(...data.map((l) => Number(l.split('\t')[ts])));
  return lines
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const cols = line.split('\t');
      cols[ts] = (Number(cols[ts]) - first + start).toFixed(6);
      return cols.join('\t');
    })
    .join('\n');
}
