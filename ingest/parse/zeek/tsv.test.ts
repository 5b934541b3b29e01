import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinLastColumns, LABELED_CORPUS, ZEEK_CORPUS, readLog } from '../../../test/support/corpus';
import type { ParseOutcome, ZeekRecord } from './record';
import { ZeekTsvParser } from './tsv';

const BASELINE = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');
const LOGGING = (name: string): string => join(BASELINE, `scripts.base.frameworks.logging.${name}`);
const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
const ZED_TSV = join(ZEEK_CORPUS, 'zed-sample-data/zeek-default');

/** The file's lines as the source hands them over: without `\n` or `\r\n`. */
function linesOf(file: string): Buffer[] {
  const content = readLog(file);
  const lines: Buffer[] = [];
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(0x0a, start);
    if (end < 0) end = content.length;
    const stop = end > start && content[end - 1] === 0x0d ? end - 1 : end;
    lines.push(content.subarray(start, stop));
    start = end + 1;
  }
  return lines;
}

/** The raw bytes of a file split at newlines, without decompressing. */
function readFileSyncRaw(file: string): Buffer[] {
  const content = readFileSync(file);
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = content.indexOf(0x0a); end >= 0; end = content.indexOf(0x0a, start)) {
    lines.push(content.subarray(start, end));
    start = end + 1;
  }
  lines.push(content.subarray(start));
  return lines;
}

function parseAll(lines: Buffer[], parser = new ZeekTsvParser('hint')): ParseOutcome[] {
  return lines.map((line) => parser.parseLine(line));
}

function recordsOf(outcomes: ParseOutcome[]): ZeekRecord[] {
  return outcomes.flatMap((o) => (o.kind === 'record' ? [o.record] : []));
}

function errorsOf(outcomes: ParseOutcome[]): string[] {
  return outcomes.flatMap((o) => (o.kind === 'error' ? [o.reason] : []));
}

describe('ZeekTsvParser values', () => {
  it('splits sets by the set separator before unescaping, so an escaped separator stays inside its element', () => {
    const [record] = recordsOf(parseAll(linesOf(join(LOGGING('ascii-escape-set-separator'), 'test.log'))));
    expect(record.fields.ss).toEqual([',', 'CC', ',,', 'AA']);
    expect(record.types).toEqual({ ss: 'set[string]' });
  });

  it('tells an unset field, a literal "-" (written \\x2d) and an empty string apart', () => {
    const [record] = recordsOf(parseAll(linesOf(join(LOGGING('ascii-escape-notset-str'), 'test.log'))));
    expect(record.fields).toEqual({ x: '-', z: '' });
    expect('y' in record.fields).toBe(false);
  });

  it('uses the empty marker the header declares and keeps an escaped marker as a value', () => {
    const [record] = recordsOf(parseAll(linesOf(join(LOGGING('ascii-escape-empty-str'), 'test.log'))));
    expect(record.fields.ss).toEqual(['EMPTY']);
  });

  it('reads a set separator given as an escape in the header', () => {
    const [record] = recordsOf(parseAll(linesOf(join(LOGGING('ascii-utf8-enabled-set-separator-escape'), 'test.log'))));
    expect(record.fields.ss).toEqual(['®']);
  });

  it('reads literal separators of several characters and values that escape them', () => {
    const records = recordsOf(parseAll(linesOf(join(LOGGING('ascii-escape'), 'ssh.log'))));
    expect(records.map((r) => r.fields.status)).toEqual(['success', 'failure', 'fa||ure', 'su||ess', 'failure']);
    expect(records[0].fields['id.orig_p']).toBe(1234);
    const binary = recordsOf(parseAll(linesOf(join(LOGGING('ascii-binary'), 'ssh.log'))));
    expect(binary.map((r) => r.fields.data)).toEqual(['abc\n\\xffdef', 'abc|\\xffdef', 'abc\\xff|def']);
    expect(binary.every((r) => r.fields.data2 === 'DATA2')).toBe(true);
  });

  it('decodes escapes to text when the bytes are UTF-8 text and keeps them escaped otherwise', () => {
    const values = recordsOf(parseAll(linesOf(join(LOGGING('ascii-escape-binary'), 'test.log')))).map((r) => r.fields.s);
    expect(values).toEqual([
      'AB\\x00CD\\x00',
      'AB\\xffCD\\x00',
      // `AB\\xffCD\x00`: a literal backslash, then a NUL byte which JSON would not carry raw.
      'AB\\xffCD\\x00',
      ' ',
      'abc\\x00def',
      ' ',
      'abc\\x00def',
      ' ',
      'foo ® bar \\xc2\\xae baz',
      'foo\\x00bar\\0baz',
      'foo \\x0e bar ^N baz',
    ]);
  });

  it('keeps raw UTF-8 in a line as it is', () => {
    const values = recordsOf(parseAll(linesOf(join(LOGGING('ascii-utf8-enabled'), 'test.log')))).map((r) => r.fields.s);
    expect(values).toEqual(['foo ® bar', 'दुनिया को नमस्ते', 'hello 𠜎']);
  });

  it('reads a line with raw invalid UTF-8 as Zeek would have escaped it', () => {
    const lines = linesOf(join(LOGGING('ascii-escape-binary'), 'test.log'));
    const escaped = lines.findIndex((l) => l.toString() === 'AB\\xffCD\\x00');
    // The same value as a writer that does not escape would have written it: the bytes themselves.
    const raw = Buffer.from([...Buffer.from('AB'), 0xff, ...Buffer.from('CD'), 0x00]);
    const parser = new ZeekTsvParser('hint');
    parseAll(lines.slice(0, escaped), parser);
    const fromRaw = parser.parseLine(raw);
    const fromEscaped = parser.parseLine(lines[escaped]);
    expect(fromRaw).toEqual(fromEscaped);
    expect(fromRaw.kind === 'record' && fromRaw.record.fields.s).toBe('AB\\xffCD\\x00');
  });

  it('converts every Zeek type and agrees with the JSON writer on the same record', () => {
    const [record] = recordsOf(parseAll(linesOf(join(LOGGING('types'), 'ssh.log'))));
    // The same record written by Zeek's JSON writer, with btest's masked time removed.
    const jsonLine = linesOf(join(LOGGING('ascii-json'), 'ssh.log'))[1].toString();
    const json = JSON.parse(jsonLine.replace(',"t":XXXXXXXXXX.XXXXXX', '')) as Record<string, unknown>;
    delete json.vn; // not in the TSV test's record
    expect(record.fields).toEqual({ ...json, se: [], ve: [] });
    expect(record.fields.i).toBe(-42);
    expect(record.fields.iv).toBe(100);
    expect('t' in record.fields).toBe(false);
    expect(record.types?.t).toBe('time');
  });

  it('leaves infinite and NaN doubles absent, as the JSON writer writes them null', () => {
    const lines = linesOf(join(LOGGING('ascii-double'), 'test.log'));
    const outcomes = parseAll(lines);
    expect(errorsOf(outcomes)).toEqual([]);
    const byText = new Map<string, ZeekRecord>();
    lines.forEach((line, i) => {
      const o = outcomes[i];
      if (o.kind === 'record') byText.set(line.toString(), o.record);
    });
    expect(byText.get('inf')?.fields).toEqual({});
    expect(byText.get('-inf')?.fields).toEqual({});
    expect(byText.get('nan')?.fields).toEqual({});
    expect(byText.get('2153226000.123457')?.fields.d).toBe(2153226000.123457);
    const huge = [...byText.keys()].find((t) => t.length > 300 && !t.startsWith('-'));
    expect(byText.get(huge as string)?.fields.d).toBeCloseTo(1.79e308, -300);
  });

  it('fails a value that does not convert, naming the field, the type and the value', () => {
    const file = join(ZEEK_CORPUS, 'icsnpp/icsnpp-bacnet/testing/baseline/analyzer.services/files.log');
    const outcomes = parseAll(linesOf(file));
    expect(errorsOf(outcomes)).toEqual(['field duration of type interval has invalid value "XXXXXXXXXX.XXXXXX"']);
  });
});

describe('ZeekTsvParser header blocks', () => {
  const rotateOut = join(LOGGING('rotate'), 'out');

  it('follows several header blocks in one file and fails lines that fit no block', () => {
    const lines = linesOf(rotateOut);
    const outcomes = parseAll(lines);
    const records = recordsOf(outcomes);
    // Ten rotated files of two records each, concatenated with a `> name` line before each one.
    const blocks = lines.filter((l) => l.toString().startsWith('#separator')).length;
    expect(blocks).toBe(10);
    expect(records).toHaveLength(2 * blocks);
    expect(records.map((r) => r.fields['id.resp_p'])).toEqual(
      Array.from({ length: blocks }, (_, i) => [1024 + i, i]).flat(),
    );
    // The rotation summary before the first block and the `> name` lines between blocks are not log lines: the
    // first ones come before any header, the others do not fit the block closed before them.
    const errors = errorsOf(outcomes);
    expect(errors).toHaveLength(20);
    expect(errors.filter((e) => e === 'data line before any #fields header')).toHaveLength(11);
    expect(errors.filter((e) => e === 'line has 1 columns but #fields declares 5 (truncated line?)')).toHaveLength(9);
  });

  it('shares one types object per header block', () => {
    const records = recordsOf(parseAll(linesOf(rotateOut)));
    expect(records[1].types).toBe(records[0].types);
    expect(records[2].types).not.toBe(records[0].types);
    expect(records[2].types).toEqual(records[0].types);
  });

  it('takes the path from #path rather than the file name hint', () => {
    const [dns] = recordsOf(parseAll(linesOf(join(ZED_TSV, 'dns.log.gz')).slice(0, 10), new ZeekTsvParser('other')));
    expect(dns.path).toBe('dns');
  });

  it('reads #open as epoch seconds in UTC and leaves a masked #open out', () => {
    const [record] = recordsOf(parseAll(linesOf(join(STRATOSPHERE, '001-zeek-scenario-malicious/conn.log'))));
    expect(record.openTs).toBe(Date.UTC(2017, 2, 8, 13, 47, 4) / 1000);
    const [masked] = recordsOf(parseAll(linesOf(rotateOut)));
    expect('openTs' in masked).toBe(false);
  });

  it('treats a comment before the first header as a header', () => {
    const lines = linesOf(join(LOGGING('ascii-escape-set-separator'), 'test.log'));
    expect(lines[0].toString()).toMatch(/^### BTest baseline/);
    const outcomes = parseAll(lines);
    expect(outcomes[0]).toEqual({ kind: 'header' });
    expect(errorsOf(outcomes)).toEqual([]);
  });

  it('reads tiny epoch times as they are and label columns declared in #fields as fields', () => {
    const lines = linesOf(join(STRATOSPHERE, '001-zeek-scenario-malicious/labeled-conn.log'));
    const outcomes = parseAll(lines);
    expect(errorsOf(outcomes)).toEqual([]);
    const records = recordsOf(outcomes);
    expect(records[0].fields.ts).toBe(19.981745);
    expect(records[0].fields.tunnel_parents).toEqual([]);
    // Stratosphere declares its label columns in #fields, so they are ordinary fields.
    expect(new Set(records.map((r) => r.fields.label))).toEqual(new Set(['Background', 'Benign', 'Malicious']));
    expect(records.every((r) => r.extra === undefined)).toBe(true);
  });

  it('reads columns joined by spaces, as the IoT-23 captures join their last three, as the columns they join', () => {
    // The labeled capture laid out as IoT-23 writes it: `tunnel_parents   label   detailed-label` in #fields, the
    // same in #types and on every line, three spaces between them instead of a tab.
    const lines = linesOf(join(STRATOSPHERE, '001-zeek-scenario-malicious/labeled-conn.log'));
    const joined = lines.map((l) => Buffer.from(joinLastColumns(l.toString(), 3)));
    expect(joined[6].toString()).toMatch(/\ttunnel_parents {3}label {3}detailedlabel$/);
    const outcomes = parseAll(joined);
    expect(errorsOf(outcomes)).toEqual([]);
    const records = recordsOf(outcomes);
    const tabbed = recordsOf(parseAll(lines));
    expect(records).toHaveLength(tabbed.length);
    records.forEach((record, i) => {
      expect(record.fields).toEqual(tabbed[i].fields);
      expect(record.types).toEqual(tabbed[i].types);
      expect(record.extra).toBeUndefined();
    });
    expect(records.filter((r) => r.fields.label === 'Malicious')).toHaveLength(244);
  });

  it('fails a line whose joined columns hold fewer values than the header joins there, naming them', () => {
    const lines = linesOf(join(STRATOSPHERE, '001-zeek-scenario-malicious/labeled-conn.log')).map((l) => joinLastColumns(l.toString(), 3));
    const parser = new ZeekTsvParser('conn');
    parseAll(lines.filter((l) => l.startsWith('#')).map((l) => Buffer.from(l)), parser);
    const line = lines.find((l) => !l.startsWith('#'))!;
    // The label written without its detail, as a labeler that drops an empty last value leaves it.
    const cut = line.slice(0, line.lastIndexOf('   '));
    expect(parser.parseLine(Buffer.from(cut))).toEqual({
      kind: 'error',
      reason: 'column 21 holds 2 values separated by spaces, but #fields joins 3 there (tunnel_parents, label, detailedlabel)',
    });
    expect(parser.parseLine(Buffer.from(line)).kind).toBe('record');
  });

  it('puts columns beyond #fields into extra', () => {
    // The same capture without and with labels: the unlabeled header read with the labeled lines.
    const plain = linesOf(join(STRATOSPHERE, '001-zeek-scenario-malicious/conn.log'));
    const labeled = linesOf(join(STRATOSPHERE, '001-zeek-scenario-malicious/labeled-conn.log'));
    const header = plain.filter((l) => l[0] === 0x23);
    const withExtra = recordsOf(parseAll([...header, ...labeled.filter((l) => l[0] !== 0x23)]));
    const declared = recordsOf(parseAll(labeled));
    const unlabeled = recordsOf(parseAll(plain));
    expect(withExtra).toHaveLength(unlabeled.length);
    withExtra.forEach((record, i) => {
      expect(record.fields).toEqual(unlabeled[i].fields);
      const { label, detailedlabel } = declared[i].fields;
      // Extra columns have no type: `(empty)` stays as written.
      expect(record.extra).toEqual([label, detailedlabel === '' ? '(empty)' : detailedlabel]);
    });
  });

  it('fails a truncated line with the column counts', () => {
    const lines = linesOf(join(ZED_TSV, 'dns.log.gz')).slice(0, 20);
    const parser = new ZeekTsvParser('dns');
    const headers = lines.filter((l) => l[0] === 0x23);
    parseAll(headers, parser);
    const full = lines[headers.length];
    // The line as a writer killed mid-line leaves it: cut after its tenth tab.
    let cut = -1;
    for (let i = 0; i < 10; i++) cut = full.indexOf(0x09, cut + 1);
    expect(parser.parseLine(full.subarray(0, cut))).toEqual({
      kind: 'error',
      reason: 'line has 10 columns but #fields declares 24 (truncated line?)',
    });
    expect(parser.parseLine(full).kind).toBe('record');
  });

  it('fails every line of a block whose #fields and #types disagree, saying the header is broken', () => {
    const lines = linesOf(join(ZED_TSV, 'modbus.log.gz'));
    // A #fields line cut short, as a damaged header leaves it.
    const damaged = lines.map((l) => (l.subarray(0, 7).toString() === '#fields' ? l.subarray(0, l.indexOf(0x09, 30)) : l));
    const outcomes = parseAll(damaged, new ZeekTsvParser('modbus'));
    const errors = errorsOf(outcomes);
    expect(recordsOf(outcomes)).toEqual([]);
    expect(errors.length).toBe(lines.filter((l) => l.length > 0 && l[0] !== 0x23).length);
    expect(errors[0]).toMatch(/^broken header: #fields names \d+ fields but #types gives 11 types$/);
  });

  it('fails binary data without throwing', () => {
    // A compressed log handed over undecompressed.
    const garbage = readFileSyncRaw(join(ZED_TSV, 'dns.log.gz'));
    const outcomes = parseAll(garbage);
    expect(recordsOf(outcomes)).toEqual([]);
    expect(errorsOf(outcomes)).toContain('line is not valid UTF-8 and no #fields header is in effect (binary data?)');
  });
});

describe('ZeekTsvParser header snapshot', () => {
  it('lists the header lines of the block in effect, without comments and #close', () => {
    const lines = linesOf(join(LOGGING('ascii-escape'), 'ssh.log'));
    const parser = new ZeekTsvParser('hint');
    parseAll(lines, parser);
    expect(parser.headerLines().map(String)).toEqual(lines.filter((l) => l.toString().match(/^#[a-z]/)).map(String));
    // After a #close the block stays in effect until another begins (sorted logs put records after #close).
    const rotateLines = linesOf(join(LOGGING('rotate'), 'out'));
    const rotate = new ZeekTsvParser('hint');
    parseAll(rotateLines, rotate);
    const lastBlock = rotateLines.slice(rotateLines.map(String).lastIndexOf(rotateLines.map(String).filter((l) => l.startsWith('#separator')).pop()!));
    expect(rotate.headerLines().map(String)).toEqual(lastBlock.map(String).filter((l) => /^#[a-z]/.test(l) && !l.startsWith('#close')));
  });

  it('restores the block in effect in a fresh parser, mid-file and mid-way through several blocks', () => {
    const files = [
      join(STRATOSPHERE, '008-zeek-mixed/data/conn.log.labeled'),
      join(LOGGING('rotate'), 'out'),
      // A separator other than the default tab must come back too.
      join(LOGGING('ascii-escape'), 'ssh.log'),
    ];
    for (const file of files) {
      const lines = linesOf(file);
      const whole = parseAll(lines);
      for (const at of [10, 15, 30, 61, Math.floor(lines.length / 2)].filter((n) => n < lines.length)) {
        const first = new ZeekTsvParser('hint');
        parseAll(lines.slice(0, at), first);
        const resumed = new ZeekTsvParser('hint');
        for (const header of first.headerLines()) expect(resumed.parseLine(header).kind).toBe('header');
        expect(parseAll(lines.slice(at, at + 300), resumed)).toEqual(whole.slice(at, at + 300));
      }
    }
  });

  it('owns the bytes of its snapshot when the reader reuses its buffer', () => {
    const lines = linesOf(join(LOGGING('ascii-escape'), 'ssh.log'));
    const parser = new ZeekTsvParser('hint');
    const reused = Buffer.alloc(4096);
    for (const line of lines) {
      line.copy(reused);
      parser.parseLine(reused.subarray(0, line.length));
    }
    reused.fill(0);
    expect(parser.headerLines().map(String)).toEqual(lines.filter((l) => l.toString().match(/^#[a-z]/)).map(String));
  });
});
