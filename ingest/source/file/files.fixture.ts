/**
 * Test support for the file source: real Zeek logs from the shared corpus (beside the repository, never copied
 * into it), scratch directories, and a consumer that drains a source.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SourceLine } from '../line';
import type { FileSource } from './follower';

export const CORPUS = path.resolve(__dirname, '../../../../shared/corpus');

/** A real Zeek TSV conn log with its header block: 895 KB, about 4,400 lines. */
export const CONN_LOG = path.join(CORPUS, 'labeled/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled');
/** A real Zeek TSV dns log, gzipped as zeekctl archives it. */
export const DNS_LOG_GZ = path.join(CORPUS, 'zeek/zed-sample-data/zeek-default/dns.log.gz');

export function corpusBytes(file: string): Buffer {
  return readFileSync(file);
}

/** The data lines (not `#` headers) of a corpus log, without their newlines, in file order, duplicates removed. */
export function corpusDataLines(file: string): string[] {
  const seen = new Set<string>();
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    if (line !== '' && !line.startsWith('#')) seen.add(line);
  }
  return [...seen];
}

export interface Scratch {
  dir: string;
  path(...parts: string[]): string;
  remove(): void;
}

export function scratchDir(): Scratch {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-file-source-'));
  return { dir, path: (...parts) => path.join(dir, ...parts), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads batches until the source has nothing more right now (or ends); optionally acknowledges each batch. */
export async function drain(source: FileSource, acknowledge = true): Promise<SourceLine[]> {
  const lines: SourceLine[] = [];
  for (;;) {
    const batch = await source.readBatch();
    if (batch === undefined || batch.length === 0) return lines;
    lines.push(...batch);
    if (acknowledge) commitBatch(source, batch);
  }
}

/** Acknowledges a batch the way a sink would: one range per file. */
export function commitBatch(source: FileSource, batch: readonly SourceLine[]): void {
  for (const [key, range] of rangesOf(batch)) source.commitRange(key, range.start, range.end, []);
}

export function rangesOf(batch: readonly SourceLine[]): Map<string, { start: number; end: number }> {
  const ranges = new Map<string, { start: number; end: number }>();
  for (const line of batch) {
    const range = ranges.get(line.file.key);
    if (range) range.end = line.end;
    else ranges.set(line.file.key, { start: line.offset, end: line.end });
  }
  return ranges;
}

export function text(lines: readonly SourceLine[]): string[] {
  return lines.map((line) => line.bytes.toString('latin1'));
}
