import { relative } from 'node:path';
import { CORPUS, LABELED_CORPUS, ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { createZeekParser, ZeekLogParser } from './detect';
import { ZeekJsonParser } from './json';
import { knownSchema } from './known-schemas';
import { logTypeFromFileName } from './name-hint';
import type { ParseOutcome } from './record';

/** Documentation and licenses that sit beside the logs. */
const NOT_LOGS = /(^|\/)(README\.md|LICENSE(\.txt)?|COPYING|labels\.config|CITATION\.cff)$/;
/** How Zeek's test suite masks times that change from run to run; it is not JSON and not a number. */
const BTEST_MASK = 'XXXXXXXXXX.XXXXXX';
const HEADERLESS = 'data line before any #fields header';
const NUMBER_TYPES = new Set(['interval', 'double', 'count', 'int', 'port']);

function linesOf(content: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0; start < content.length; ) {
    const newline = content.indexOf(0x0a, start);
    const end = newline < 0 ? content.length : newline;
    lines.push(content.subarray(start, end > start && content[end - 1] === 0x0d ? end - 1 : end));
    start = end + 1;
  }
  return lines;
}

/**
 * The errors a TSV file must give, worked out from its text alone: lines outside any `#fields` ...
 * `#close` block (files written without headers, btest outputs, files sorted by btest so that data
 * follows `#close`), lines with fewer columns than `#fields`, and values btest masked in number
 * columns other than `time` ones (a time that does not read is left absent instead). A file whose first
 * data line comes before any `#fields` header reads with the known schema of its path and column count, if
 * there is one, as if that header block had been written.
 */
function expectedTsvErrors(lines: Buffer[], logPath: string): string[] {
  const errors: string[] = [];
  let separator = '\t';
  let fields: readonly string[] | undefined;
  let types: readonly string[] = [];
  let sawFields = false;
  let sawData = false;
  for (const line of lines) {
    const text = line.toString('utf8');
    if (text.length === 0) continue;
    if (text.startsWith('#')) {
      if (text.startsWith('#separator')) {
        const hex = /^\\x([0-9a-f]{2})$/.exec(text.slice(11));
        separator = hex === null ? text.slice(11) : String.fromCharCode(parseInt(hex[1], 16));
        fields = undefined;
      } else if (text.startsWith(`#fields${separator}`)) {
        fields = text.split(separator).slice(1);
        types = [];
        sawFields = true;
      } else if (text.startsWith(`#types${separator}`)) {
        types = text.split(separator).slice(1);
      }
      continue;
    }
    const columns = text.split(separator);
    if (!sawData && !sawFields) {
      const schema = knownSchema(logPath, text.split('\t').length);
      if (schema !== undefined) ({ fields, types } = schema);
    }
    sawData = true;
    if (fields === undefined) {
      errors.push(HEADERLESS);
      continue;
    }
    if (columns.length < fields.length) {
      errors.push(`line has ${columns.length} columns but #fields declares ${fields.length} (truncated line?)`);
      continue;
    }
    const masked = columns.findIndex((value, i) => value === BTEST_MASK && NUMBER_TYPES.has(types[i]));
    if (masked >= 0) errors.push(`field ${fields[masked]} of type ${types[masked]} has invalid value "${BTEST_MASK}"`);
  }
  return errors;
}

/** JSON lines fail only where btest's mask stands in for a number. */
function expectedJsonErrors(lines: Buffer[]): string[] {
  return lines
    .map((line) => line.toString('utf8'))
    .filter((text) => text.trim().length > 0 && !text.trimStart().startsWith('#') && text.includes(`:${BTEST_MASK}`))
    .map(() => 'invalid JSON');
}

interface FileResult {
  file: string;
  lines: number;
  records: number;
  errors: string[];
  expected: string[];
}

function parseFile(file: string): FileResult {
  const lines = linesOf(readLog(file));
  const logPath = logTypeFromFileName(file);
  // The parser the worker uses; the format it will choose is the one of the first line that is not a comment.
  const parser = new ZeekLogParser(logPath);
  const outcomes: ParseOutcome[] = lines.map((line) => parser.parseLine(line));
  const probe = lines.find((l) => l.length > 0 && l[0] !== 0x23) ?? Buffer.alloc(0);
  const json = createZeekParser(logPath, probe) instanceof ZeekJsonParser;
  const errors = outcomes.flatMap((o) => (o.kind === 'error' ? [json ? o.reason.slice(0, 12) : o.reason] : []));
  return {
    file: relative(CORPUS, file),
    lines: lines.length,
    records: outcomes.filter((o) => o.kind === 'record').length,
    errors,
    expected: json ? expectedJsonErrors(lines) : expectedTsvErrors(lines, logPath),
  };
}

describe('the whole Zeek corpus', () => {
  const files = [...filesBelow(ZEEK_CORPUS), ...filesBelow(LABELED_CORPUS)].filter((f) => !NOT_LOGS.test(f));
  const results = files.map(parseFile);

  it('parses every file with exactly the errors its text explains', () => {
    expect(files.length).toBeGreaterThan(1500);
    const unexplained = results.filter((r) => JSON.stringify(r.errors) !== JSON.stringify(r.expected));
    const summary = unexplained.map((r) => ({ file: r.file, errors: r.errors.slice(0, 3), expected: r.expected.slice(0, 3) }));
    expect(summary).toEqual([]);
  });

  it('parses the output of real sensors without a single error', () => {
    const sensors = results.filter((r) => !r.file.includes('btest') && !r.file.includes('icsnpp'));
    expect(sensors.length).toBeGreaterThan(100);
    expect(sensors.filter((r) => r.errors.length > 0).map((r) => r.file)).toEqual([]);
    expect(sensors.reduce((n, r) => n + r.records, 0)).toBeGreaterThan(400_000);
  });
});
