/**
 * Test support: real Zeek records from the shared corpus, read with the real parsers. The corpus sits beside the
 * repository (`../shared/corpus`) and is never copied into it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createZeekParser } from '../../parse/zeek/detect';
import { logTypeFromFileName } from '../../parse/zeek/name-hint';
import type { ZeekRecord } from '../../parse/zeek/record';

export const CORPUS = path.resolve(__dirname, '../../../../shared/corpus');

function lines(file: string): Buffer[] {
  let content = readFileSync(file);
  if (file.endsWith('.gz')) content = gunzipSync(content);
  const out: Buffer[] = [];
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(0x0a, start);
    if (end < 0) end = content.length;
    let stop = end;
    if (stop > start && content[stop - 1] === 0x0d) stop--;
    out.push(content.subarray(start, stop));
    start = end + 1;
  }
  return out;
}

/** Every record of a corpus file (path relative to the corpus root), as the ingest worker would parse it. */
export function readZeekLog(relative: string): ZeekRecord[] {
  const file = path.join(CORPUS, relative);
  const all = lines(file);
  // Like the file source: the format is decided by the first line that is not a btest comment.
  const probe = all.find((l) => l.length > 0 && !l.subarray(0, 3).equals(Buffer.from('###'))) ?? Buffer.alloc(0);
  const parser = createZeekParser(logTypeFromFileName(file), probe);
  const records: ZeekRecord[] = [];
  for (const line of all) {
    const outcome = parser.parseLine(line);
    if (outcome.kind === 'record') records.push(outcome.record);
  }
  return records;
}

/** The first record of a corpus file that satisfies `match`; fails the test when there is none. */
export function findZeekRecord(relative: string, match: (r: ZeekRecord) => boolean): ZeekRecord {
  const found = readZeekLog(relative).find(match);
  if (found === undefined) throw new Error(`no matching record in ${relative}`);
  return found;
}

/** Every Zeek log file of the corpus (Zeek, ICS parsers, Stratosphere labeled), relative to the corpus root. */
export function zeekCorpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(CORPUS, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(log|json)(\.gz)?$|\.log\.labeled$/.test(rel)) out.push(rel);
    }
  };
  walk('zeek');
  walk('labeled');
  return out.sort();
}
