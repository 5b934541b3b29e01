/**
 * Test support: real Zeek records from the shared corpus, read with the real parsers. The corpus sits beside the
 * repository (`../shared/corpus`) and is never copied into it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readZeekFile } from '../../parse/zeek/read-file';
import type { ZeekRecord } from '../../parse/zeek/record';

export const CORPUS = path.resolve(__dirname, '../../../../shared/corpus');

/** Every record of a corpus file (path relative to the corpus root), as the ingest worker would parse it. */
export function readZeekLog(relative: string): ZeekRecord[] {
  return readZeekFile(path.join(CORPUS, relative));
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
