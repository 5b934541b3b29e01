import { join } from 'node:path';
import { ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { ZeekJsonParser } from './json';
import type { ZeekRecord, ZeekValue } from './record';
import { parseIsoTimestamp } from './timestamps';
import { ZeekTsvParser } from './tsv';

/** zed-sample-data holds the same Zeek run written twice: default TSV and JSON with ISO 8601 times. */
const ZED = join(ZEEK_CORPUS, 'zed-sample-data');

function recordsOf(file: string, parser: ZeekTsvParser | ZeekJsonParser): ZeekRecord[] {
  const content = readLog(file);
  const records: ZeekRecord[] = [];
  for (let start = 0; start < content.length; ) {
    const newline = content.indexOf(0x0a, start);
    const end = newline < 0 ? content.length : newline;
    const outcome = parser.parseLine(content.subarray(start, end));
    start = end + 1;
    if (outcome.kind === 'error') throw new Error(`${file}: ${outcome.reason}`);
    if (outcome.kind === 'record') records.push(outcome.record);
  }
  return records;
}

/** TSV writes doubles rounded to six decimals; JSON writes them in full. */
function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
}

/**
 * The known ways the two formats differ:
 * - JSON writes every `time` field as ISO 8601; the parser converts only `ts` and `_write_ts`.
 * - TSV writes a set holding only the empty string as `(empty)`, the same as an empty set.
 */
function agree(type: string | undefined, tsv: ZeekValue | undefined, json: ZeekValue | undefined): boolean {
  if (type === 'time' && typeof json === 'string') json = parseIsoTimestamp(json);
  if (typeof tsv === 'number' && typeof json === 'number') return sameNumber(tsv, json);
  if (Array.isArray(tsv) && Array.isArray(json)) {
    if (tsv.length === 0 && json.length === 1 && json[0] === '') return type?.startsWith('set[') === true;
    return tsv.length === json.length && tsv.every((value, i) => agree(undefined, value, json[i]));
  }
  return tsv === json;
}

describe('TSV and JSON logs of the same traffic', () => {
  const types = filesBelow(join(ZED, 'zeek-default')).map((f) => /([^/]+)\.log\.gz$/.exec(f)?.[1] as string);

  it('covers every log type of the sample', () => {
    expect(types).toHaveLength(32);
    expect(filesBelow(join(ZED, 'zeek-json'))).toHaveLength(types.length);
  });

  it.each(types)('%s: every record agrees field by field', (type) => {
    const tsv = recordsOf(join(ZED, 'zeek-default', `${type}.log.gz`), new ZeekTsvParser(type));
    const json = recordsOf(join(ZED, 'zeek-json', `${type}.json.gz`), new ZeekJsonParser(type));
    expect(json).toHaveLength(tsv.length);
    const disagreements: string[] = [];
    tsv.forEach((record, i) => {
      const other = json[i];
      if (other.path !== record.path) disagreements.push(`${i} path: ${record.path} vs ${other.path}`);
      const names = new Set([...Object.keys(record.fields), ...Object.keys(other.fields)]);
      // The JSON writer adds these; the TSV log has no counterpart.
      names.delete('_path');
      names.delete('_write_ts');
      for (const name of names) {
        if (!agree(record.types?.[name], record.fields[name], other.fields[name])) {
          const [a, b] = [record.fields[name], other.fields[name]].map((v) => JSON.stringify(v));
          disagreements.push(`${i} ${name}: ${a} vs ${b}`);
        }
      }
    });
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});
