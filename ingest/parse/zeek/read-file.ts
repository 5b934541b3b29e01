/**
 * A whole Zeek log file read into records at once, for code that needs a file's records in memory (the labeled
 * evaluation, tests, benchmarks). The ingest worker streams instead; both parse each line with `ZeekLogParser`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ZeekLogParser } from './detect';
import { logTypeFromFileName } from './name-hint';
import type { ZeekRecord } from './record';

/**
 * Hands every record of a Zeek log file (TSV or JSON; gzip when its content starts with the gzip magic bytes) to
 * `visit`, in file order, without keeping them: what a caller keeps of a large capture is up to it. The log path
 * comes from the file name, as for the ingest worker; a `\r` before a line's `\n` is dropped.
 */
export function forEachZeekRecord(file: string, visit: (record: ZeekRecord) => void): void {
  let content = readFileSync(file);
  if (content.length > 2 && content[0] === 0x1f && content[1] === 0x8b) content = gunzipSync(content);
  const parser = new ZeekLogParser(logTypeFromFileName(file));
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(0x0a, start);
    if (end < 0) end = content.length;
    const stop = end > start && content[end - 1] === 0x0d ? end - 1 : end;
    const outcome = parser.parseLine(content.subarray(start, stop));
    if (outcome.kind === 'record') visit(outcome.record);
    start = end + 1;
  }
}

/** Every record of a Zeek log file, in file order (`forEachZeekRecord`). */
export function readZeekFile(file: string): ZeekRecord[] {
  const records: ZeekRecord[] = [];
  forEachZeekRecord(file, (record) => records.push(record));
  return records;
}
